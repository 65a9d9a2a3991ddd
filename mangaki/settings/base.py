"""The site's core: paths, debug and secret key, apps and middleware, the database,
accounts and mail, languages, logging, and Mangaki's own files and training thresholds.
"""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from mangaki.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    env_url,
    local_secret,
)

# The repository's root (this file is mangaki/settings/base.py).
BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("MANGAKI_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or ""  # required in production: see the database below
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mangaki",
    "tagger",
    "recommender",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: refuses oversized bodies, long URLs and NUL bytes.
    "mangaki.security.middleware.RequestGuardMiddleware",
    "mangaki.security.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mangaki.language.AccountLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mangaki.urls"
WSGI_APPLICATION = "mangaki.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "mangaki.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    # Connections are kept for a minute and checked before each reuse: after a database
    # restart, a thread's dead connection is replaced instead of failing one request.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent rating clicks queue
                # instead of failing with "database is locked" half-way through.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
# A run-specific test database name keeps two test runs on one server apart.
if env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if not SECRET_KEY:
    if IS_POSTGRES and not DEBUG:
        # A generated key differs between hosts and restarts: sessions and password-reset
        # links would break, and nobody would have chosen or guarded it.
        raise ImproperlyConfiguredEnv(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set when DATABASE_URL names a database "
            "server and DEBUG is off; for example: "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    SECRET_KEY = local_secret(VAR_DIR / ".secret_key")  # the embedded default only
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, mail and i18n --------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 24 * 3600  # a reset link works for a day

# Password-reset mail: SMTP when EMAIL_HOST is set, else printed on the console (the
# embedded default: the demo's operator reads the link in the server's output).
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Mangaki <noreply@localhost>")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the footer's language choice outlives the browser session
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Mangaki --------------------------------------------------------------------------
# Where trained model files are kept (the recommender's registry).
MODEL_DIR = Path(env_str("MODEL_DIR") or VAR_DIR / "models")
# Model versions whose files are kept after each training (recommender/pruning.py): the
# newest this many, plus the active one and the one a rollback would pick.
MODEL_KEEP = env_int("MODEL_KEEP", 5, minimum=1)
# Nightly backups (mangaki/services/backup.py): where, and how many are kept.
BACKUP_DIR = Path(env_str("BACKUP_DIR") or VAR_DIR / "backups")
BACKUP_KEEP = env_int("BACKUP_KEEP", 7, minimum=1)
# A new model is activated unless its held-out RMSE is worse than the active one's by more
# than this fraction.
MODEL_TOLERANCE = env_float("MODEL_TOLERANCE", 0.02)
# ... or its lists' held-out top-20 recall lower by more than this fraction.
MODEL_TOPN_TOLERANCE = env_float("MODEL_TOPN_TOLERANCE", 0.05)
# A running training that has not reported for this long is marked failed (process died).
TRAINING_STALE_SECONDS = env_int("TRAINING_STALE_SECONDS", 120, minimum=1)
RECOMMENDER_PARAMS: dict = {}
# Catalogue bundled with the repository for the embedded demo (Kaggle, CC0).
DEMO_CATALOG = BASE_DIR / "data" / "anime.csv"
