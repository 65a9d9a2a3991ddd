"""Old model versions lose their files (recommender/pruning.py); the active model, the one a
rollback would pick and the MODEL_KEEP newest stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from mangaki import storage as shared
from recommender import model_files, registry
from recommender.models import RunStatus, TrainingRun
from recommender.pruning import prune_models, tidy_local_copies
from recommender.training import train
from tests.mangaki.test_storage import DATABASE_FILES
from tests.recommendations.conftest import FAST


def _run(version: str, age_days: int, status=RunStatus.SUCCEEDED, active=False) -> TrainingRun:
    """A finished run whose two files exist in MODEL_DIR (and in the shared storage)."""
    path = model_files.model_dir() / f"{version}.npz"
    for file in (path, model_files.index_path(path)):
        file.write_bytes(b"weights of " + version.encode())
        storage = shared.model_storage()
        if storage is not None:
            storage.save(model_files.shared_name(file), ContentFile(file.read_bytes()))
    run = TrainingRun.objects.create(
        version=version, status=status, is_active=active, model_path=str(path)
    )
    started = timezone.now() - timedelta(days=age_days)
    TrainingRun.objects.filter(pk=run.pk).update(started_at=started)
    return run


def _with_files() -> list[str]:
    return sorted(TrainingRun.objects.exclude(model_path="").values_list("version", flat=True))


@pytest.mark.django_db
def test_the_newest_the_active_and_its_predecessor_keep_their_files(models_dir):
    for day, version in enumerate(["v6", "v5", "v4", "v3", "v2", "v1"]):
        _run(version, age_days=day, active=version == "v4")
    _run("failed", age_days=7, status=RunStatus.FAILED)

    assert prune_models(keep=2, dry_run=True) == ["failed", "v1", "v2"]
    assert _with_files() == ["failed", "v1", "v2", "v3", "v4", "v5", "v6"]  # dry run

    assert prune_models(keep=2) == ["failed", "v1", "v2"]
    # v6 and v5 are the newest, v4 is active (rolled back to), v3 is what a rollback picks.
    assert _with_files() == ["v3", "v4", "v5", "v6"]
    assert sorted(p.name for p in model_files.model_dir().iterdir()) == sorted(
        f"{v}{suffix}" for v in ("v3", "v4", "v5", "v6") for suffix in (".npz", ".index.npz")
    )
    assert TrainingRun.objects.filter(version="v1").exists()  # the run and its figures stay
    with pytest.raises(ValueError, match="no trained model has version 'v1'"):
        registry.rollback("v1")
    assert prune_models(keep=2) == []  # nothing left to do


@pytest.mark.django_db
def test_pruning_deletes_the_shared_copies_and_other_hosts_tidy_theirs(
    settings, models_dir, tmp_path
):
    settings.FILE_STORAGE, settings.STORAGES = "database", DATABASE_FILES
    for day, version in enumerate(["v3", "v2", "v1"]):
        _run(version, age_days=day, active=version == "v3")
    web = tmp_path / "web-models"
    settings.MODEL_DIR = web  # a web host that fetched v1 and v3 earlier
    for version in ("v1", "v3"):
        path = model_files.model_dir() / f"{version}.npz"
        for file in (path, model_files.index_path(path)):
            assert shared.ensure_local(file, model_files.shared_name(file))
    assert (web / "recommender" / "v1.npz").is_file()

    settings.MODEL_DIR = models_dir  # the worker prunes
    assert prune_models(keep=1) == ["v1"]
    storage = shared.model_storage()
    assert not storage.exists("recommender/v1.npz")
    assert not storage.exists("recommender/v1.index.npz")
    assert storage.exists("recommender/v2.npz") and storage.exists("recommender/v3.npz")

    settings.MODEL_DIR = web
    removed = tidy_local_copies()
    assert sorted(p.name for p in removed) == ["v1.index.npz", "v1.npz"]
    assert sorted(p.name for p in (web / "recommender").iterdir()) == ["v3.index.npz", "v3.npz"]


def test_training_prunes_beyond_model_keep(demo_site, settings, models_dir):
    settings.MODEL_KEEP = 1
    first = train("test", FAST)
    second = train("test", FAST)
    assert _with_files() == sorted([first.version, second.version])  # active + previous
    third = train("test", FAST)
    assert third.is_active
    assert _with_files() == sorted([second.version, third.version])
    assert not (models_dir / "recommender" / f"{first.version}.npz").exists()


@pytest.mark.django_db
def test_the_command_lists_before_it_deletes(models_dir, capsys):
    for day, version in enumerate(["v3", "v2", "v1"]):
        _run(version, age_days=day, active=version == "v3")
    call_command("prune_models", "--keep", "1", "--dry-run")
    assert "v1: would lose its files" in capsys.readouterr().out
    assert _with_files() == ["v1", "v2", "v3"]
    call_command("prune_models", "--keep", "1")
    assert "v1: files deleted" in capsys.readouterr().out
    assert _with_files() == ["v2", "v3"]
