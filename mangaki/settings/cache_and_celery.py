"""Cache and Celery: Redis when ``REDIS_URL`` is set, else a local-memory cache and tasks
run inline. One Celery app (mangaki/celery.py) reads the ``CELERY_*`` names below: its
queues, time limits and beat schedule (docs/configuration.md, "Celery").
"""

from celery.schedules import crontab

from mangaki.env import env_int, env_str, env_url

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
