"""The staff dashboard: the site's numbers, the training runs, the background processes."""

import math
import time

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mangaki.cache import redis_status
from mangaki.models import DirtyWork, Rating, Work
from mangaki.models.catalog import PosterStatus
from mangaki.tasks.heartbeat import last_heartbeats
from recommender import registry
from recommender.models import ModelEvent, RunStatus, TrainingRun
from recommender.tasks import train_model

CHART_WIDTH, CHART_HEIGHT = 600, 140
# Room for the value labels left of the plot and the run labels under it.
PLOT_LEFT, PLOT_TOP, PLOT_BOTTOM = 56, 8, 22
# The smallest span a chart's axis covers: a difference below it is noise, not a trend,
# and must not be drawn as a cliff.
MIN_SPAN = {"rmse": 0.05, "recall_at_20": 0.05}


def _ratings_per_week(weeks: int = 26) -> list[tuple[str, int, int]]:
    rows = list(
        Rating.objects.annotate(week=TruncWeek("date"))
        .values_list("week")
        .annotate(n=Count("id"))
        .order_by("-week")[:weeks]
    )[::-1]
    top = max((n for _, n in rows), default=0) or 1
    return [(week.date().isoformat(), n, round(100 * n / top)) for week, n in rows]


def axis_range(values: list[float], min_span: float) -> tuple[float, float, float]:
    """(low, high, tick step) of an axis for ``values``: at least ``min_span`` wide,
    centred on the data, bounds on round ticks (1, 2 or 5 times a power of ten).

    Example::

        >>> axis_range([0.9130, 0.9130000005], 0.05)
        (0.88, 0.94, 0.02)
    """
    lo, hi = min(values), max(values)
    span = max(hi - lo, min_span)
    middle = (lo + hi) / 2
    lo, hi = middle - span / 2, middle + span / 2
    raw = span / 3
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    low, high = math.floor(lo / step) * step, math.ceil(hi / step) * step
    digits = max(0, -math.floor(math.log10(step)))
    return round(low, digits), round(high, digits), round(step, digits)


def metric_chart(runs: list[TrainingRun], key: str) -> dict | None:
    """An SVG line chart of ``metrics[key]`` over the runs (oldest first), on an axis of
    at least ``MIN_SPAN[key]`` with labelled ticks; None with fewer than two runs."""
    points = [(r.version, r.metrics[key]) for r in reversed(runs) if r.metrics.get(key)]
    if len(points) < 2:
        return None
    values = [v for _, v in points]
    low, high, step = axis_range(values, MIN_SPAN[key])
    plot_w = CHART_WIDTH - PLOT_LEFT - 8
    plot_h = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM

    def y(value: float) -> float:
        return PLOT_TOP + (high - value) / (high - low) * plot_h

    x_step = plot_w / (len(points) - 1)
    coords = [(PLOT_LEFT + i * x_step, y(v)) for i, (_, v) in enumerate(points)]
    digits = max(0, -math.floor(math.log10(step))) + 1
    n_ticks = round((high - low) / step)
    ticks = [
        (f"{low + k * step:.{digits}f}", round(y(low + k * step), 1)) for k in range(n_ticks + 1)
    ]
    return {
        "points": " ".join(f"{x:.1f},{py:.1f}" for x, py in coords),
        "dots": [
            (round(x, 1), round(py, 1), version, f"{v:.4f}")
            for (x, py), (version, v) in zip(coords, points, strict=True)
        ],  # fmt: skip
        "ticks": ticks,
        "first": points[0][0],
        "last": points[-1][0],
        "lo": min(values),
        "hi": max(values),
        "n": len(points),
        "left": PLOT_LEFT,
        "right": CHART_WIDTH - 8,
        "bottom": CHART_HEIGHT - PLOT_BOTTOM,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
    }


@staff_member_required
def dashboard(request):
    registry.reap_stale_runs()
    registry.active_bundle()  # a damaged active model is found (and replaced) now, not later
    runs = list(TrainingRun.objects.all()[:30])
    active = (
        next((r for r in runs if r.is_active), None)
        or TrainingRun.objects.filter(is_active=True).first()
    )
    for run in runs:
        # Roll back (older) or forward (newer): offered only where there is somewhere to go.
        run.can_activate = registry.can_activate(run)
        run.direction = (
            "forward" if active is None or run.started_at > active.started_at else "back"
        )
    redis = redis_status()
    with_poster = Work.objects.exclude(poster="")
    context = {
        **admin.site.each_context(request),  # the admin's header, links and side bar
        "title": _("Mangaki dashboard"),
        "counts": {
            "users": get_user_model().objects.count(),
            "works": Work.objects.count(),
            "ratings": Rating.objects.count(),
        },
        "per_week": _ratings_per_week(),
        "runs": runs,
        "running": next((r for r in runs if r.status == RunStatus.RUNNING), None),
        "active": active,
        "charts": [
            (_("RMSE of past runs (lower is better)"), metric_chart(runs, "rmse")),
            (
                _("Top-20 recall of past runs (higher is better)"),
                metric_chart(runs, "recall_at_20"),
            ),
        ],
        "events": list(ModelEvent.objects.select_related("run")[:10]),
        "confirm": request.GET.get("confirm", ""),
        "tagging": {
            "backlog": with_poster.filter(poster_status=PosterStatus.PENDING).count(),
            "errors": with_poster.filter(poster_status=PosterStatus.ERROR).count(),
            "tagged": with_poster.filter(poster_status=PosterStatus.TAGGED).count(),
        },
        "heartbeats": last_heartbeats() if redis["up"] is not False else None,
        "redis": redis,
        "dirty_works": DirtyWork.objects.count(),
        "broken": [r for r in runs if r.load_error],
        "dropped": [r for r in runs if r.status == RunStatus.FAILED][:5],
    }
    return render(request, "admin/dashboard.html", context)


@staff_member_required
@require_POST
def retrain(request):
    from kombu.exceptions import KombuError, OperationalError

    if train_model.app.conf.task_always_eager:
        # No broker on the embedded default: the training runs in this request.
        started = time.perf_counter()
        result = train_model.apply(args=("dashboard",))
        seconds = time.perf_counter() - started
        messages.add_message(request, *_ran_here(result, seconds))
        return redirect("dashboard")
    try:
        train_model.delay("dashboard")
    except (KombuError, OperationalError, OSError) as error:
        messages.error(
            request,
            _("Training could not be queued: the broker (Redis) is unreachable (%s).") % error,
        )
    else:
        messages.success(
            request,
            _("Training queued: a worker of the training queue will run it (progress below)."),
        )
    return redirect("dashboard")


def _ran_here(result, seconds: float) -> tuple[int, str]:
    """What an inline training did, as a message level and text."""
    where = _("No worker is configured, so the training ran in this request (%(s).1f s).") % {
        "s": seconds
    }
    if result.failed():
        return messages.ERROR, f"{where} {_('It failed: %s') % result.result}"
    outcome = str(result.result)
    if outcome == "busy":
        return messages.WARNING, f"{where} {_('Another training was running: none started.')}"
    version = outcome.split(":", 1)[0]
    run = TrainingRun.objects.filter(version=version).first()
    if run is None:
        return messages.INFO, f"{where} {outcome}"
    if run.is_active:
        text = _("Model %(version)s is now active.") % {"version": run.version}
        return messages.SUCCESS, f"{where} {text}"
    text = _("Model %(version)s was kept, not activated: %(why)s") % {
        "version": run.version,
        "why": run.reason or run.error,
    }
    return messages.WARNING, f"{where} {text}"


@staff_member_required
@require_POST
def activate(request):
    """Serve another trained model, older or newer than the active one."""
    version = request.POST.get("version", "")
    force = request.POST.get("force") == "1"
    try:
        run = registry.switch_to(version, by=request.user.get_username(), force=force)
    except registry.WorseModel as worse:
        messages.warning(
            request,
            _("Model %(version)s was not activated: %(why)s. Activate it anyway below.")
            % {"version": version, "why": "; ".join(worse.reasons)},
        )
        return redirect(f"{reverse('dashboard')}?confirm={version}#runs")
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Model %(version)s is active.") % {"version": run.version})
    return redirect("dashboard")
