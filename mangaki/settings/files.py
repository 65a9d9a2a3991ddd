"""Static files, media, and where posters and model files are stored (``FILE_STORAGE``)."""

from pathlib import Path

from mangaki.env import ImproperlyConfiguredEnv, env_bool, env_int, env_str
from mangaki.settings.base import BASE_DIR, DEBUG, VAR_DIR

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
