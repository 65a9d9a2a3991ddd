import pytest
from django.urls import reverse

from recommender.models import TrainingRun
from recommender.training import train
from tests.factories import UserFactory
from tests.recommendations.conftest import FAST


@pytest.fixture
def staff(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_dashboard_is_staff_only(client, alice):
    client.force_login(alice)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_dashboard_shows_runs_metrics_and_processes(staff, demo_site):
    first = train("test", FAST)
    train("test", FAST)
    body = staff.get(reverse("dashboard")).content.decode()
    assert first.version in body
    assert "Active model" in body and "Ratings per week" in body
    # Every run's top-N figures sit next to its RMSE.
    assert "Recall@20" in body and f"{first.metrics['recall_at_20']:.4f}" in body
    assert "<polyline" in body  # the history chart of two runs
    assert "Worker:" in body and "never seen" in body
    assert "Open the Mangaki dashboard" in staff.get(reverse("admin:index")).content.decode()


def test_retrain_runs_inline_and_each_run_can_be_activated(staff, demo_site, settings):
    # The same parameters as the dashboard's training: on 60 members another model's
    # top-20 recall may differ by more than the activation tolerance either way.
    settings.RECOMMENDER_PARAMS = FAST
    first = train("test", FAST)
    response = staff.post(reverse("dashboard-retrain"), follow=True)  # tasks run inline
    newest = TrainingRun.objects.order_by("-started_at").first()
    assert newest.triggered_by == "dashboard" and newest.is_active
    assert "the training ran in this request" in response.content.decode()
    response = staff.post(
        reverse("dashboard-activate"), {"version": first.version, "force": "1"}, follow=True
    )
    assert f"Model {first.version} is active." in response.content.decode()
    assert TrainingRun.objects.get(is_active=True) == first
