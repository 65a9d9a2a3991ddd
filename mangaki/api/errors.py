"""One JSON error format for every API failure.

Every error body reads ``{"error": {"code": ..., "message": ..., "fields": {...}}}``, so a
client handles one shape, whatever went wrong (bad input, unknown work, throttled...).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _flatten(value)]
    return [str(detail)]


def _fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """Field errors as {field: [messages]}; errors of list items keep their path ("0.work")."""
    out: dict[str, list[str]] = {}
    items = detail.items() if isinstance(detail, dict) else enumerate(detail)
    for name, value in items:
        key = f"{prefix}{name}"
        leaf = not isinstance(value, dict) and (
            not isinstance(value, list) or all(not isinstance(v, dict | list) for v in value)
        )
        if leaf and isinstance(detail, dict):
            out[key] = _flatten(value)
        elif not leaf:
            out.update(_fields(value, f"{key}."))
    return out


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """The error envelope.

    Example::

        >>> error_body("not_found", "No such work.")
        {'error': {'code': 'not_found', 'message': 'No such work.', 'fields': {}}}
    """
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc, context):
    """DRF's handler, with its varied bodies rewritten into the error envelope."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(detail)
        messages = _flatten(detail)
        if isinstance(detail, dict) and set(detail) == {"non_field_errors"}:
            fields = {}
        message = messages[0] if len(messages) == 1 else "The request has invalid fields."
        response.data = error_body("invalid", message, fields)
    else:
        code = getattr(detail, "code", None) or exc.default_code
        response.data = error_body(str(code), " ".join(_flatten(detail)))
    return response


@csrf_exempt  # a JSON 404 for any method, not the CSRF middleware's HTML 403
def not_found(request, *args, **kwargs):
    """JSON 404 for any unknown path under /api/ (instead of the site's HTML page)."""
    return JsonResponse(
        error_body("not_found", "There is no API endpoint at this address."),
        status=status.HTTP_404_NOT_FOUND,
    )
