"""gunicorn settings, read by gunicorn from the directory it starts in (the checkout's root
in bin/demo, the image's /app in docker-compose); command-line options still win.

- Processes and threads: threads share a process's model (memory-mapped) and heap; workers
  isolate crashes. ``WEB_WORKERS``, ``WEB_THREADS``, ``WEB_KEEPALIVE``, ``WEB_TIMEOUT``,
  ``WEB_MAX_REQUESTS`` and ``WEB_BIND`` change them from the environment.
- ``keepalive``: longer than the proxy's upstream keep-alive (30 s in deploy/nginx.conf),
  so the proxy, not gunicorn, closes idle connections, and a request never meets a
  connection closed under it.

- ``limit_request_line``: the longest request line gunicorn accepts short of no limit at
  all, so that Django sees addresses up to 8 KB and answers its own 414, in the API's JSON
  error shape under /api/, from ``MAX_URL_BYTES`` (4 KB by default) on.
- The few requests gunicorn refuses itself (a longer request line, a malformed request,
  headers too large) get a one-sentence JSON error in the same shape instead of gunicorn's
  HTML page: the path is not known yet at that point, so every such answer is JSON.
- A request announcing a body over ``MAX_REQUEST_BYTES`` closes its connection after the
  answer. Django refuses such a body with 413 unless the view takes uploads, without
  reading it; on a kept-alive connection gunicorn would still read the rest (to find the
  next request), so 40 MB would be received for nothing. (A WSGI application cannot ask
  for this itself: gunicorn drops its ``Connection`` header.)
"""

import json
import os

from gunicorn import util

from mangaki.env import env_int

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = env_int("WEB_WORKERS", 2, minimum=1)
threads = env_int("WEB_THREADS", 4, minimum=1)
worker_class = "gthread"
keepalive = env_int("WEB_KEEPALIVE", 65, minimum=1)
timeout = env_int("WEB_TIMEOUT", 60, minimum=1)
graceful_timeout = 30
# Recycle workers now and then: a slow leak (or a big import) never builds up.
max_requests = env_int("WEB_MAX_REQUESTS", 5000, minimum=0)
max_requests_jitter = 500
accesslog = "-"

limit_request_line = 8190
_MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 1024 * 1024, minimum=1024)

_CODES = {400: "invalid", 403: "permission_denied", 414: "uri_too_long", 431: "headers_too_large"}
_REASONS = {414: "URI Too Long"}


def _json_error(sock, status_int, reason, mesg):
    if status_int == 400 and str(mesg).startswith("Request Line is too large"):
        status_int, mesg = 414, "The address is too long."
    message = str(mesg).strip().rstrip(".") + "."
    body = json.dumps(
        {"error": {"code": _CODES.get(status_int, "error"), "message": message, "fields": {}}}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {_REASONS.get(status_int, reason)}\r\n"
        "Connection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


# gunicorn's workers call util.write_error for the errors they answer themselves.
util.write_error = _json_error


def pre_request(worker, req):
    worker.log.debug("%s %s", req.method, req.path)
    length = next((value for name, value in req.headers if name == "CONTENT-LENGTH"), "")
    if length.strip().isdigit() and int(length) > _MAX_REQUEST_BYTES:
        req.must_close = True
