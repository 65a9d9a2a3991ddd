"""gunicorn settings, read by gunicorn from the directory it starts in (the checkout's root
in bin/demo, the image's /app in docker-compose); command-line options still win.

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

from gunicorn import util

from mangaki.env import env_int

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
