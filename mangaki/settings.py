"""Django settings, read from the environment (see docs/configuration.md).

With nothing set, the site runs on the *embedded default*: an SQLite file and media under
``var/``, Celery tasks executed inline, a local-memory cache, a development secret in a
git-ignored file. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
"""

import ipaddress
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from mangaki.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_map,
    env_str,
    env_url,
    local_secret,
)
from mangaki.security.rates import Rate

BASE_DIR = Path(__file__).resolve().parent.parent
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

# --- Cache and Celery -----------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss"))
if REDIS_URL:
    # Redis away = no cache (pages compute, writes go through), not errors: mangaki/cache.py.
    CACHES = {
        "default": {
            "BACKEND": "mangaki.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "mangaki"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker, tasks run inline so the embedded default needs no extra process.
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60, minimum=1)
# A message a worker took is redelivered this long after the worker died without
# acknowledging it (Redis keeps one clock for all queues; docs/operations.md, "Tasks and
# redelivery", says what it means for each queue). Every task is safe to run twice.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 600, minimum=60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
# A page that queues a task while Redis is away waits at most a second for it, then the
# caller records the work for later (mangaki.tasks.counters.recount_later).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "mangaki.tasks.counters.*": {"queue": "default"},
    "mangaki.tasks.maintenance.*": {"queue": "default"},
    "mangaki.tasks.recovery.*": {"queue": "default"},
    "mangaki.tasks.heartbeat.*": {"queue": "default"},
    "mangaki.tasks.imports.*": {"queue": "default"},
    "mangaki.tasks.posters.*": {"queue": "default"},
    "tagger.tasks.*": {"queue": "tagging"},
    "recommender.tasks.*": {"queue": "training"},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "recompute-all-counters": {
        "task": "mangaki.tasks.counters.recompute_all_counters",
        "schedule": crontab(hour=3, minute=0),
    },
    "recount-dirty-works": {
        "task": "mangaki.tasks.counters.recount_dirty_works",
        "schedule": float(env_int("DIRTY_RECOUNT_SECONDS", 120, minimum=5)),
    },
    "recover-queued-work": {
        "task": "mangaki.tasks.recovery.recover_queued_work",
        "schedule": 600.0,
    },
    "clear-expired-sessions": {
        "task": "mangaki.tasks.maintenance.clear_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
    "nightly-backup": {
        "task": "mangaki.tasks.maintenance.backup",
        "schedule": crontab(hour=2, minute=30),
    },
    "nightly-training": {
        "task": "recommender.tasks.train_model",
        "schedule": crontab(hour=4, minute=0),
        "kwargs": {"triggered_by": "beat"},
    },
    "expire-list-import-previews": {
        "task": "mangaki.tasks.imports.expire_list_import_previews",
        "schedule": 3600.0,
    },
    "reap-stale-trainings": {
        "task": "recommender.tasks.reap_stale_trainings",
        "schedule": 300.0,
    },
    "beat-heartbeat": {
        "task": "mangaki.tasks.heartbeat.beat_heartbeat",
        "schedule": float(env_int("BEAT_HEARTBEAT_SECONDS", 60, minimum=1)),
    },
}

# --- Auth, i18n, static and media -----------------------------------------------------
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

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# Where posters and model files live (mangaki/storage.py, docs/operations.md "Several
# hosts"): "local" keeps them on this host's disk (MEDIA_ROOT, MODEL_DIR: one host or a
# shared volume); "database" stores them in the database, so hosts that share nothing but
# PostgreSQL see the same files; "s3" in an S3-compatible bucket (django-storages).
FILE_STORAGE = (env_str("FILE_STORAGE") or "local").strip().lower()
if FILE_STORAGE == "local":
    _FILES: dict = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
elif FILE_STORAGE == "database":
    _FILES = {
        "default": {"BACKEND": "mangaki.storage.DatabaseStorage", "OPTIONS": {"location": "media"}},
        "models": {
            "BACKEND": "mangaki.storage.DatabaseStorage",
            "OPTIONS": {"location": "models", "overwrite": True},
        },
    }
elif FILE_STORAGE == "s3":
    _BUCKET = env_str("AWS_STORAGE_BUCKET_NAME")
    if not _BUCKET:
        raise ImproperlyConfiguredEnv("FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    _S3 = {
        "bucket_name": _BUCKET,
        "access_key": env_str("AWS_ACCESS_KEY_ID"),  # else boto3's own lookup (roles...)
        "secret_key": env_str("AWS_SECRET_ACCESS_KEY"),
        "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,  # MinIO, Ceph, Garage...
        "region_name": env_str("AWS_S3_REGION_NAME") or None,
    }
    _FILES = {
        # Posters: public URLs (the bucket's policy lets anyone read media/), never
        # overwritten, so browsers may keep them a day.
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **_S3,
                "location": "media",
                "file_overwrite": False,
                "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
                "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN") or None,
                "object_parameters": {"CacheControl": "public, max-age=86400"},
            },
        },
        # Model files: private, replaced in place (the tag head's pointer).
        "models": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**_S3, "location": "models", "file_overwrite": True},
        },
    }
else:
    raise ImproperlyConfiguredEnv(
        f"FILE_STORAGE={FILE_STORAGE!r} is not one of local, database, s3"
    )
STORAGES = {
    **_FILES,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# How long browsers and proxies keep a poster served from the database storage.
MEDIA_MAX_AGE = env_int("MEDIA_MAX_AGE", 86400, minimum=0)
# Serve app and project static files straight from their folders when collectstatic has
# not run (the embedded default and tests).
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security (docs/security.md) ------------------------------------------------------
# Behind HTTPS: secure cookies, redirect plain HTTP, and HSTS once HTTPS is known to work.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The header a TLS-terminating proxy sets to say the browser used HTTPS, e.g.
# X-Forwarded-Proto; only behind a proxy that always sets (or strips) it.
_PROXY_SSL_HEADER = env_str("SECURE_PROXY_SSL_HEADER", "")
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Posters come from anywhere on the web (https); scripts and styles only from this site.
# Styles allow inline attributes for the admin's and Swagger UI's markup; scripts do not.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# How many proxies of ours stand between clients and the site, each appending to
# X-Forwarded-For. 0: reached directly, X-Forwarded-For is ignored (anyone can write it).
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)

# Request sizes, refused with 413 from the Content-Length header before the body is read.
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 1024 * 1024, minimum=1024)
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 21 * 1024 * 1024, minimum=1024)
MAX_URL_BYTES = env_int("MAX_URL_BYTES", 4096, minimum=256)

# Rate limits (mangaki.security.limiter): counted per signed-in person, else per address.
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
RATE_LIMIT_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "mangaki") + ":limit"
RATE_LIMITS = env_map(
    "RATE_LIMITS",
    {
        "login_account_address": "5/15m",  # failed sign-ins on one account from one address
        "login_address": "30/15m",  # failed sign-ins from one address, any account
        "login_account": "100/h",  # failed sign-ins on one account, from anywhere
        "bad_token": "20/minute",  # invalid API tokens from one address
        "signup": "10/h",
        "password_reset": "5/h",
        "deck": "60/minute",  # ratings and undos from the deck
        "rate": "60/minute",  # ratings from a work page
        "suggest": "120/minute",  # search suggestions while typing
        "import_upload": "10/h",
        "import_preview": "10/minute",
        "group": "30/minute",  # group lists: up to 8 people folded in per page
    },
    check=Rate.parse,
)
# Imports confirmed and not finished, per person, at any time.
LIST_IMPORTS_AT_ONCE = env_int("LIST_IMPORTS_AT_ONCE", 1, minimum=1)
# An unconfirmed list import preview expires after this many hours (docs/imports.md).
LIST_IMPORT_PREVIEW_HOURS = env_int("LIST_IMPORT_PREVIEW_HOURS", 24, minimum=1)

# The poster fetcher connects to public addresses on ports 80 and 443 only; an operator
# may allow an internal mirror (networks such as 10.1.2.0/24) and other ports.
try:
    POSTER_FETCH_ALLOWED_NETWORKS = [
        str(ipaddress.ip_network(network, strict=False))
        for network in env_list("POSTER_FETCH_ALLOWED_NETWORKS", [])
    ]
    POSTER_FETCH_ALLOWED_PORTS = [int(p) for p in env_list("POSTER_FETCH_ALLOWED_PORTS", [])]
except ValueError as exc:
    raise ImproperlyConfiguredEnv(f"POSTER_FETCH_ALLOWED_PORTS/NETWORKS: {exc}") from None

REST_FRAMEWORK = {
    # Token first: an unauthenticated client gets 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mangaki.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["mangaki.api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "mangaki.api.throttles.AnonymousRateThrottle",
        "mangaki.api.throttles.PersonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_ANON_RATE", "60/minute"),
        "user": env_str("API_USER_RATE", "600/minute"),
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_PAGINATION_CLASS": "mangaki.api.pagination.PagePagination",
    "PAGE_SIZE": 24,
    "EXCEPTION_HANDLER": "mangaki.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "mangaki.api.schema.AutoSchema",
}
for _name in ("API_ANON_RATE", "API_USER_RATE"):
    try:
        Rate.parse(env_str(_name, "1/minute"))
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"{_name}: {exc}") from None

SPECTACULAR_SETTINGS = {
    "TITLE": "Mangaki API",
    "DESCRIPTION": "Anime and manga ratings, rankings and explained recommendations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"RatingChoiceEnum": "mangaki.choices.Choice"},
    # Ids beyond 18 digits do not route (a JSON 404) instead of overflowing the database.
    "PATH_CONVERTER_OVERRIDES": {
        "work_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
        "username": {"type": "string", "pattern": r"^[\w.@+-]{1,150}$"},
    },
}

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
