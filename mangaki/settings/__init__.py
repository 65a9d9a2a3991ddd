"""Django settings, read from the environment (see docs/configuration.md).

With nothing set, the site runs on the *embedded default*: an SQLite file and media under
``var/``, Celery tasks executed inline, a local-memory cache, a development secret in a
git-ignored file. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.

Django reads its settings from this package, which gathers them from one module per concern:

- ``base``: paths, debug and secret key, apps, the database, accounts and mail, languages,
  logging, model files and training thresholds;
- ``cache_and_celery``: the cache, the broker, queues, time limits and beat's schedule;
- ``files``: static files, media, and where posters and model files are stored;
- ``security``: HTTPS, headers, trusted proxies, request sizes, rate limits, poster fetcher;
- ``api``: Django REST framework and the OpenAPI schema.

A setting added to one of them needs nothing here: each is imported whole (names that
start with an underscore, intermediate values, stay in their module).
"""

from mangaki.settings.api import *  # noqa: F403
from mangaki.settings.base import *  # noqa: F403
from mangaki.settings.cache_and_celery import *  # noqa: F403
from mangaki.settings.files import *  # noqa: F403
from mangaki.settings.security import *  # noqa: F403
