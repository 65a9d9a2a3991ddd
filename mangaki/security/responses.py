"""Refusals in the shape the client reads: the API's JSON error envelope under /api/ (and
for scripts that asked for JSON), a short HTML page elsewhere, always one sentence."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from mangaki.api.errors import error_body

API_PREFIX = "/api/"


def wants_json(request) -> bool:
    return request.path.startswith(API_PREFIX) or "application/json" in request.headers.get(
        "Accept", ""
    )


def refusal(
    request, status: int, code: str, message: str, *, retry_after: int | None = None
) -> HttpResponse:
    """A ``status`` response saying ``message``; ``retry_after`` seconds for a 429."""
    if wants_json(request):
        response = JsonResponse(error_body(code, str(message)), status=status)
    else:
        # A bare page: the request may be refused before sessions or the database are used.
        html = render_to_string("error.html", {"status": status, "message": message})
        response = HttpResponse(html, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
