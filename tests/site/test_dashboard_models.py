"""The staff dashboard's training runs: which is active, activating any healthy run (back
or forward), the notes and the history of changes, the charts' axes, the retrain message."""

import re

import pytest
from django.urls import reverse

from mangaki.views.dashboard import axis_range, metric_chart
from recommender import registry
from recommender.models import ModelEvent, RunStatus, TrainingRun
from recommender.training import train
from tests.factories import UserFactory
from tests.recommendations.conftest import FAST

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _rows(html: str) -> dict[str, str]:
    """The runs table's rows by version."""
    body = html[html.index('<table class="runs">') :]
    rows = re.findall(r"<tr><td>(?:<strong>)?([\d-]+)(?:</strong>)?</td>(.*?)</tr>", body, re.S)
    return dict(rows)


def test_only_the_active_run_says_active_and_only_healthy_others_can_be_activated(staff, demo_site):
    first = train("test", FAST)
    second = train("test", FAST)
    third = train("test", FAST)
    TrainingRun.objects.filter(pk=second.pk).update(load_error="the files are damaged")
    rows = _rows(staff.get(reverse("dashboard")).content.decode())
    assert "Active" in rows[third.version] and "Active" not in rows[first.version]
    assert "Succeeded" in rows[first.version]
    assert "Roll back to this" in rows[first.version]
    assert "Roll back to this" not in rows[second.version]  # its files failed
    assert "Roll" not in rows[third.version]  # already served


def test_with_a_single_model_there_is_nothing_to_roll_back_to(staff, demo_site):
    only = train("test", FAST)
    html = staff.get(reverse("dashboard")).content.decode()
    assert "Roll back" not in html and "Roll forward" not in html
    response = staff.post(reverse("dashboard-activate"), {"version": only.version}, follow=True)
    assert "already active" in response.content.decode()


def test_roll_back_then_forward_keeps_every_note_and_records_each_change(staff, demo_site):
    first = train("test", FAST)
    second = train("test", FAST)
    notes = {r.version: r.reason for r in TrainingRun.objects.all()}
    # The two runs share their data: neither is worse beyond the tolerances.
    back = staff.post(reverse("dashboard-activate"), {"version": first.version}, follow=True)
    assert f"Model {first.version} is active." in back.content.decode()
    html = staff.get(reverse("dashboard")).content.decode()
    assert "Roll forward to this" in _rows(html)[second.version]
    staff.post(reverse("dashboard-activate"), {"version": second.version})
    assert TrainingRun.objects.get(is_active=True) == second
    assert {r.version: r.reason for r in TrainingRun.objects.all()} == notes
    events = [(e.run.version, e.previous, e.note, e.by) for e in ModelEvent.objects.all()]
    assert events[:2] == [
        (second.version, first.version, f"rolled forward by hand from {first.version}", "root"),
        (first.version, second.version, f"rolled back by hand from {second.version}", "root"),
    ]
    html = staff.get(reverse("dashboard")).content.decode()
    assert f"rolled back by hand from {second.version}" in html  # the history of changes


def test_a_worse_model_is_refused_unless_forced(staff, demo_site):
    first = train("test", FAST)
    second = train("test", FAST)
    TrainingRun.objects.filter(pk=first.pk).update(
        metrics={**first.metrics, "rmse": second.metrics["rmse"] * 1.5}
    )
    response = staff.post(reverse("dashboard-activate"), {"version": first.version}, follow=True)
    html = response.content.decode()
    assert "was not activated" in html and "worse than the active model" in html
    assert TrainingRun.objects.get(is_active=True) == second
    assert "Activate anyway" in _rows(html)[first.version]
    staff.post(reverse("dashboard-activate"), {"version": first.version, "force": "1"})
    assert TrainingRun.objects.get(is_active=True) == first
    assert "forced although RMSE" in ModelEvent.objects.first().note


def test_a_model_whose_files_are_damaged_is_not_activated(staff, demo_site):
    first = train("test", FAST)
    train("test", FAST)
    with open(first.model_path, "ab") as handle:
        handle.write(b"damage")
    response = staff.post(reverse("dashboard-activate"), {"version": first.version}, follow=True)
    assert "cannot be served" in response.content.decode()
    assert not TrainingRun.objects.get(pk=first.pk).is_active


def test_the_automatic_fallback_keeps_the_notes_too(demo_site):
    first = train("test", FAST)
    second = train("test", FAST)
    note = TrainingRun.objects.get(pk=first.pk).reason
    registry.forget_loaded()
    with open(second.model_path, "ab") as handle:
        handle.write(b"damage")
    registry.active_bundle()
    first.refresh_from_db()
    assert first.is_active and first.reason == note
    assert ModelEvent.objects.first().note.startswith("activated automatically")


def test_the_charts_axis_does_not_turn_noise_into_a_cliff():
    low, high, step = axis_range([0.9130, 0.9130000005], 0.05)
    assert high - low >= 0.05 and low <= 0.9130 <= high
    assert (low, high, step) == (0.88, 0.94, 0.02)
    # A real change fills the axis, still on round ticks.
    assert axis_range([0.80, 1.20], 0.05) == (0.8, 1.2, 0.2)


def test_the_rmse_chart_labels_its_ticks_and_draws_a_flat_line_for_equal_runs(demo_site):
    runs = [train("test", FAST) for _ in range(2)]
    TrainingRun.objects.filter(pk=runs[0].pk).update(metrics={"rmse": 0.9130})
    TrainingRun.objects.filter(pk=runs[1].pk).update(metrics={"rmse": 0.9130000005})
    chart = metric_chart(list(TrainingRun.objects.all()), "rmse")
    ys = [float(p.split(",")[1]) for p in chart["points"].split()]
    assert abs(ys[0] - ys[1]) < 0.5  # flat, not a fall across the whole height
    assert [t for t, _ in chart["ticks"]] == ["0.880", "0.900", "0.920", "0.940"]


def test_the_dashboard_has_the_admin_s_header_breadcrumbs_and_links(staff, demo_site):
    html = staff.get(reverse("dashboard")).content.decode()
    assert 'class="breadcrumbs"' in html and f'href="{reverse("admin:index")}"' in html
    assert 'id="user-tools"' in html and reverse("admin:logout") in html
    assert 'id="nav-sidebar"' in html  # the admin's list of apps


def test_an_inline_retrain_says_it_ran_here_and_what_came_of_it(staff, demo_site):
    response = staff.post(reverse("dashboard-retrain"), follow=True)
    html = response.content.decode()
    run = TrainingRun.objects.get()
    assert "queued" not in html
    assert re.search(r"the training ran in this request \(\d+\.\d s\)", html)
    assert f"Model {run.version} is now active." in html
    assert run.status == RunStatus.SUCCEEDED
