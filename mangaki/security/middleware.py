"""Request guards and response headers for every page and API call.

:class:`RequestGuardMiddleware` refuses, before the view (and before anything reads the
body), what no view should have to handle:

- a URL longer than ``MAX_URL_BYTES`` (414);
- a NUL character in the path (404: nothing can have such a name) or in a query or form
  value (400): databases refuse NUL in text, and the error would surface as a 500;
- a body larger than the view accepts (413), judged from ``Content-Length`` so that a
  40 MB body is refused without being read. Views accept ``MAX_REQUEST_BYTES``, or more
  when decorated with :func:`accepts_upload` (list imports) and in the admin (posters).
  gunicorn then closes the connection (gunicorn.conf.py), so it does not read the rest.

:class:`SecurityHeadersMiddleware` adds the Content-Security-Policy, and makes every API
response to a signed-in caller (and everything under /api/v1/me/) ``private, no-store``:
a shared cache or the browser's history must not keep someone's ratings or tokens.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

from .responses import API_PREFIX, refusal

PERSONAL_API_PREFIX = "/api/v1/me/"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def accepts_upload(view):
    """Let ``view`` receive bodies up to ``MAX_UPLOAD_BYTES`` (a file upload)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    wrapped.accepts_upload = True
    return wrapped


def _size(n: int) -> str:
    return _("%(n)d MB") % {"n": n // 2**20} if n % 2**20 == 0 else _("%(n)d bytes") % {"n": n}


def _has_nul(pairs) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in pairs)


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        url = request.META.get("PATH_INFO", "") + "?" + request.META.get("QUERY_STRING", "")
        if len(url.encode("utf-8", "surrogateescape")) > settings.MAX_URL_BYTES:
            return refusal(
                request,
                414,
                "uri_too_long",
                _("The address is longer than %(n)d bytes.") % {"n": settings.MAX_URL_BYTES},
            )
        if "\x00" in request.path_info:
            return refusal(request, 404, "not_found", _("There is no page at this address."))
        if _has_nul(request.GET.lists()):
            return refusal(
                request, 400, "invalid", _("A query parameter contains a NUL character.")
            )
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        if not raw.isdigit():
            return refusal(request, 400, "invalid", _("The Content-Length header is not a number."))
        limit = settings.MAX_REQUEST_BYTES
        if getattr(view_func, "accepts_upload", False) or request.path.startswith("/admin/"):
            limit = settings.MAX_UPLOAD_BYTES
        if int(raw) > limit:
            return refusal(
                request,
                413,
                "request_too_large",
                _("The request is larger than %(size)s.") % {"size": _size(limit)},
            )
        if (
            request.method == "POST"
            and request.content_type in _FORM_TYPES
            and not getattr(view_func, "csrf_exempt", False)
            and _has_nul(request.POST.lists())
        ):
            return refusal(request, 400, "invalid", _("A form field contains a NUL character."))
        return None


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if request.path.startswith(API_PREFIX):
            user = getattr(request, "user", None)  # DRF sets the token's user here too
            if request.path.startswith(PERSONAL_API_PREFIX) or (user and user.is_authenticated):
                patch_cache_control(response, private=True, no_store=True)
                patch_vary_headers(response, ["Authorization", "Cookie"])
        return response
