"""gunicorn settings of the web service (docker-compose.yml, bin/demo): one place.

Threads share a process's model (memory-mapped) and heap; workers isolate crashes. Each
value can be changed from the environment (WEB_WORKERS, WEB_THREADS, WEB_KEEPALIVE,
WEB_TIMEOUT) without editing this file.
"""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
# Longer than the proxy's upstream keep-alive (30 s in deploy/nginx.conf): the proxy, not
# gunicorn, closes idle connections, so a request never meets a connection closed under it.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "65"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then: a slow leak (or a big import) never builds up.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = "-"
# Everything a request needs is imported (and the model warmed) in each worker's start.
preload_app = False
