"""Degrade, never fail, in one process: a Redis that cannot be reached, a broker that
refuses tasks, damaged model files, a redelivered training, backups. The same faults with
real processes are in tests/reliability."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from mangaki.cache import ResilientRedisCache
from mangaki.models import DirtyWork, Rating, Work
from mangaki.services.ratings import rate_work
from mangaki.tasks import counters as counter_tasks
from recommender import model_files, registry
from recommender.models import RunStatus, TrainingRun
from recommender.tasks import train_model
from recommender.training import start_run, train
from tests.factories import UserFactory
from tests.recommendations.conftest import FAST


@pytest.fixture
def unreachable_cache():
    import mangaki.cache as module

    module._state.update(down_since=None, last_failure=0.0, last_log=0.0, error="")
    # Nothing listens on port 1: every call fails at connect.
    yield ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {}})
    module._state.update(down_since=None, last_failure=0.0, last_log=0.0, error="")


def test_a_cache_without_redis_misses_and_says_so(unreachable_cache, settings):
    import mangaki.cache as module

    cache = unreachable_cache
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", 1)  # no error
    assert cache.add("k", 1) is False and cache.incr("n") == 1 and cache.get_many(["k"]) == {}
    assert module._state["down_since"] is not None and "Error" in module._state["error"]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    status = module.redis_status()
    assert status == {**status, "configured": True, "up": False}


@pytest.mark.django_db
def test_a_refused_recount_marks_the_work_and_beat_repairs_it(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    work = Work.objects.create(title="Counted later", category=_anime())

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(counter_tasks.recompute_work_counters, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        rate_work(alice, work.pk, "like")
    work.refresh_from_db()
    assert Rating.objects.get(user=alice, work=work).choice == "like"  # the rating stands
    assert DirtyWork.objects.filter(work=work).exists() and work.nb_like == 0
    assert counter_tasks.recount_dirty_works() == 1
    work.refresh_from_db()
    assert work.nb_like == 1 and not DirtyWork.objects.exists()


def _anime():
    from tests.factories import category

    return category("anime")


@pytest.mark.django_db
def test_a_rating_post_succeeds_while_the_broker_is_away(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    user = UserFactory(username="dana")
    work = Work.objects.create(title="Rated anyway", category=_anime())

    def refuse(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(counter_tasks.recompute_work_counters, "delay", refuse)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/work/{work.pk}/rate/", {"choice": "favorite"})
    assert response.status_code == 302
    assert Rating.objects.get(user=user, work=work).choice == "favorite"
    assert DirtyWork.objects.filter(work=work).exists()


@pytest.mark.django_db
def test_healthz_reports_each_dependency(client, settings):
    settings.REDIS_URL = None
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["database"]["ok"]
    assert body["redis"]["configured"] is False
    assert body["status"] == "degraded" and body["degraded"] == ["model"]  # none trained yet
    assert client.get("/livez").content == b"ok\n"


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _damage(run: TrainingRun) -> None:
    path = Path(run.model_path)
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    registry.forget_loaded()
    from django.core.cache import cache

    cache.delete(registry.ACTIVE_KEY)


def test_a_damaged_active_model_gives_way_to_the_last_good_one(demo_site, staff_client):
    first = train("test", FAST)
    second = train("test", FAST)
    assert second.is_active and len(second.model_sha256) == 64
    _damage(second)
    bundle = registry.active_bundle()
    assert bundle is not None and bundle.version == first.version
    second.refresh_from_db()
    assert "damaged" in second.load_error and not second.is_active
    board = staff_client.get(reverse("dashboard")).content.decode()
    assert "Model files that failed" in board and second.version in board
    # Neither a rollback to it nor a re-activation is possible.
    with pytest.raises(CommandError, match="damaged"):
        call_command("rollback_model", "--model", second.version)
    with pytest.raises(model_files.ModelFileError):
        registry.activate(second, "by hand")
    assert TrainingRun.objects.get(is_active=True) == first


def test_with_every_model_damaged_pages_serve_without_recommendations(demo_site, client):
    only = train("test", FAST)
    _damage(only)
    assert registry.active_bundle() is None
    client.force_login(Rating.objects.first().user)
    assert client.get("/recommendations/").status_code == 200
    work = Work.objects.order_by("-nb_ratings").first()
    assert client.get(work.get_absolute_url()).status_code == 200
    with pytest.raises(CommandError, match="no earlier model"):
        call_command("rollback_model")


def test_a_redelivered_training_takes_over_its_dead_run(demo_site, settings):
    dead = start_run("beat", FAST, task_id="task-1")
    stale = timezone.now() - dt.timedelta(seconds=settings.TRAINING_STALE_SECONDS + 5)
    TrainingRun.objects.filter(pk=dead.pk).update(heartbeat_at=stale)
    result = train_model.apply(kwargs={"params": FAST}, task_id="task-1").get()
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED and "dropped" in dead.error
    new = TrainingRun.objects.exclude(pk=dead.pk).get()
    assert new.task_id == "task-1" and new.status == RunStatus.SUCCEEDED
    assert result.startswith(new.version)
    # Delivered once more (a late duplicate): the work is done, nothing runs again.
    again = train_model.apply(kwargs={"params": FAST}, task_id="task-1").get()
    assert "already done" in again and TrainingRun.objects.count() == 2


def test_a_redelivered_training_waits_while_its_run_is_alive(demo_site):
    alive = start_run("beat", FAST, task_id="task-2")
    with pytest.raises(Retry):
        train_model.apply(kwargs={"params": FAST}, task_id="task-2", throw=True)
    alive.refresh_from_db()
    assert alive.status == RunStatus.RUNNING


def test_backups_are_complete_checked_and_pruned(demo_site, settings, tmp_path, monkeypatch):
    from mangaki.services import backup

    settings.BACKUP_DIR = tmp_path / "backups"
    train("test", FAST)
    # SQLite's online backup cannot read the test's own open transaction; the database
    # dump and its restore are exercised for real on PostgreSQL in tests/reliability.
    monkeypatch.setattr(
        backup, "_dump_database", lambda folder: _write(folder / "database.sqlite3", b"db")
    )
    folders = [call_command("backup", "--keep", "2") or None for _ in range(3)]
    assert folders
    kept = sorted(p for p in settings.BACKUP_DIR.iterdir())
    assert len(kept) == 2 and all((p / "manifest.json").is_file() for p in kept)
    from mangaki.services.backup import BackupError, verify

    manifest = verify(kept[-1])
    assert (kept[-1] / "models.tar").stat().st_size > 10_000  # the trained model is in it
    assert set(manifest["files"]) == {"database.sqlite3", "models.tar", "media.tar"}
    with open(kept[-1] / "models.tar", "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(BackupError, match="damaged"):
        verify(kept[-1])
    with pytest.raises(CommandError, match="--yes"):
        call_command("backup", "--restore", str(kept[0]))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
