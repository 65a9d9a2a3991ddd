"""The staff dashboard: the site's numbers, the training runs, the background processes."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mangaki.cache import redis_status
from mangaki.models import DirtyWork, Rating, Work
from mangaki.models.catalog import PosterStatus
from mangaki.tasks.heartbeat import last_heartbeats
from recommender import registry
from recommender.models import TrainingRun
from recommender.tasks import train_model


def _ratings_per_week(weeks: int = 26) -> list[tuple[str, int, int]]:
    rows = list(
        Rating.objects.annotate(week=TruncWeek("date"))
        .values_list("week")
        .annotate(n=Count("id"))
        .order_by("-week")[:weeks]
    )[::-1]
    top = max((n for _, n in rows), default=0) or 1
    return [(week.date().isoformat(), n, round(100 * n / top)) for week, n in rows]


def _rmse_chart(runs: list[TrainingRun], width: int = 600, height: int = 120) -> dict:
    points = [(r.version, r.metrics.get("rmse")) for r in reversed(runs) if r.metrics.get("rmse")]
    if len(points) < 2:
        return {"points": "", "values": points}
    values = [v for _, v in points]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    step = width / (len(points) - 1)
    coords = " ".join(
        f"{i * step:.1f},{height - 10 - (v - lo) / span * (height - 20):.1f}"
        for i, (_, v) in enumerate(points)
    )
    return {"points": coords, "values": points, "lo": lo, "hi": hi}


@staff_member_required
def dashboard(request):
    registry.reap_stale_runs()
    registry.active_bundle()  # a damaged active model is found (and replaced) now, not later
    runs = list(TrainingRun.objects.all()[:30])
    redis = redis_status()
    with_poster = Work.objects.exclude(poster="")
    context = {
        "title": "Mangaki dashboard",
        "counts": {
            "users": get_user_model().objects.count(),
            "works": Work.objects.count(),
            "ratings": Rating.objects.count(),
        },
        "per_week": _ratings_per_week(),
        "runs": runs,
        "running": next((r for r in runs if r.status == "running"), None),
        "active": TrainingRun.objects.filter(is_active=True).first(),
        "chart": _rmse_chart(runs),
        "tagging": {
            "backlog": with_poster.filter(poster_status=PosterStatus.PENDING).count(),
            "errors": with_poster.filter(poster_status=PosterStatus.ERROR).count(),
            "tagged": with_poster.filter(poster_status=PosterStatus.TAGGED).count(),
        },
        "heartbeats": last_heartbeats() if redis["up"] is not False else None,
        "redis": redis,
        "dirty_works": DirtyWork.objects.count(),
        "broken": [r for r in runs if r.load_error],
        "dropped": [r for r in runs if r.status == "failed"][:5],
    }
    return render(request, "admin/dashboard.html", context)


@staff_member_required
@require_POST
def retrain(request):
    from kombu.exceptions import KombuError, OperationalError

    if train_model.app.conf.task_always_eager:
        # No broker on the embedded default: the training runs in this request.
        result = train_model.apply(args=("dashboard",)).get()
        messages.success(request, _("Training ran here (no worker configured): %s") % result)
        return redirect("dashboard")
    try:
        train_model.delay("dashboard")
    except (KombuError, OperationalError, OSError) as error:
        messages.error(
            request,
            _("Training could not be queued: the broker (Redis) is unreachable (%s).") % error,
        )
    else:
        messages.success(request, _("Training queued on the training queue."))
    return redirect("dashboard")


@staff_member_required
@require_POST
def rollback(request):
    try:
        run = registry.rollback(request.POST.get("version") or None)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Model %(version)s is active again.") % {"version": run.version}
        )
    return redirect("dashboard")
