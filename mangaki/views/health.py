"""Health endpoints for load balancers, container health checks and operators.

``/livez``: the process answers (nothing else is touched). ``/healthz``: what the site
depends on, as JSON: the database (the site cannot serve without it: 503), Redis (cache,
limiter and broker: pages serve without it), the served model (pages serve without
recommendations), and the last heartbeat of the worker and of beat.
"""

from __future__ import annotations

import time

from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from mangaki.cache import redis_status
from mangaki.tasks.heartbeat import last_heartbeats
from recommender.model_files import ModelFileError
from recommender.models import TrainingRun
from recommender.registry import active_bundle


@never_cache
def livez(request):
    return HttpResponse("ok\n", content_type="text/plain")


def _database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return {"ok": False, "error": f"{type(error).__name__}: {str(error)[:200]}"}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _model() -> dict:
    try:
        bundle = active_bundle()
    except (DatabaseError, ModelFileError) as error:
        return {"ok": False, "error": str(error)[:200]}
    broken = list(TrainingRun.objects.exclude(load_error="").values_list("version", flat=True)[:5])
    if bundle is None:
        return {"ok": False, "version": None, "broken": broken}
    return {"ok": True, "version": bundle.version, "broken": broken}


@never_cache
def healthz(request):
    database = _database()
    redis = redis_status()
    body = {"database": database, "redis": redis}
    if database["ok"]:
        body["model"] = _model()
    body["heartbeats"] = last_heartbeats() if redis["up"] is not False else None
    degraded = [
        name
        for name, ok in (
            ("redis", redis["up"] is not False),
            ("model", body.get("model", {}).get("ok", False)),
        )
        if not ok
    ]
    body["status"] = "down" if not database["ok"] else ("degraded" if degraded else "ok")
    body["degraded"] = degraded
    return JsonResponse(body, status=200 if database["ok"] else 503)
