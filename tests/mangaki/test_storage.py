"""Files shared between hosts (mangaki/storage.py): the database storage, model bundles
and tag heads published by one host and fetched by another, posters streamed from the
database, and the FILE_STORAGE setting. Two hosts are two MODEL_DIRs on one database."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import clear_url_caches

from mangaki import storage as shared
from mangaki.models import StoredChunk, StoredFile
from mangaki.storage import ChecksumMismatch, DatabaseStorage
from recommender import model_files, registry
from recommender.training import train
from tests.mangaki.conftest import activate_a_tag_head
from tests.recommendations.conftest import FAST

ROOT = Path(__file__).resolve().parents[2]
DATABASE_FILES = {
    "default": {"BACKEND": "mangaki.storage.DatabaseStorage", "OPTIONS": {"location": "media"}},
    "models": {
        "BACKEND": "mangaki.storage.DatabaseStorage",
        "OPTIONS": {"location": "models", "overwrite": True},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture
def database_files(settings):
    settings.FILE_STORAGE = "database"
    settings.STORAGES = DATABASE_FILES
    return settings


@pytest.fixture
def chunks_of_1000(monkeypatch):
    monkeypatch.setattr(shared, "CHUNK_BYTES", 1000)


# -- the database storage -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_large_file_is_stored_in_chunks_and_read_back_whole(chunks_of_1000):
    storage = DatabaseStorage("media")
    data = np.random.default_rng(0).bytes(10_500)
    name = storage.save("posters/big.bin", ContentFile(data))
    assert name == "posters/big.bin"
    assert StoredChunk.objects.filter(file__name="media/posters/big.bin").count() == 11
    with storage.open(name) as handle:
        assert handle.read() == data
    assert storage.size(name) == 10_500 and storage.exists(name)
    assert storage.listdir("posters") == ([], ["big.bin"])
    assert storage.listdir("") == (["posters"], [])
    assert storage.url(name) == "/media/posters/big.bin"
    storage.delete(name)
    assert not storage.exists(name) and not StoredChunk.objects.exists()


@pytest.mark.django_db
def test_a_poster_name_in_use_gets_a_new_name_and_a_model_file_is_replaced():
    media, models = DatabaseStorage("media"), DatabaseStorage("models", overwrite=True)
    first = media.save("posters/1.jpg", ContentFile(b"old"))
    second = media.save("posters/1.jpg", ContentFile(b"new"))
    assert first == "posters/1.jpg" and second != first and second.startswith("posters/1_")
    assert models.save("recommender/a.npz", ContentFile(b"v1")) == "recommender/a.npz"
    assert models.save("recommender/a.npz", ContentFile(b"v2")) == "recommender/a.npz"
    with models.open("recommender/a.npz") as handle:
        assert handle.read() == b"v2"
    # One table, two storages that do not see each other's files.
    assert not media.exists("recommender/a.npz") and not models.exists("posters/1.jpg")
    assert StoredFile.objects.filter(name="models/recommender/a.npz").count() == 1


@pytest.mark.django_db
def test_a_damaged_or_missing_stored_file_is_refused():
    storage = DatabaseStorage("models", overwrite=True)
    storage.save("x.npz", ContentFile(b"sound content"))
    StoredChunk.objects.filter(file__name="models/x.npz").update(data=b"rotten content")
    with pytest.raises(ChecksumMismatch):
        storage.open("x.npz")
    with pytest.raises(FileNotFoundError):
        storage.open("nothing.npz")
    with pytest.raises(ValueError, match="not a valid"):
        storage.open("../media/posters/1.jpg")


# -- model bundles ------------------------------------------------------------------------


def test_a_model_trained_on_one_host_is_fetched_and_checked_by_another(
    rated_catalogue, database_files, tmp_path
):
    worker_dir, web_dir = tmp_path / "worker-models", tmp_path / "web-models"
    database_files.MODEL_DIR = worker_dir
    run = train("test", FAST)
    assert run.is_active and Path(run.model_path).parent == worker_dir / "recommender"
    assert StoredFile.objects.filter(name=f"models/recommender/{run.version}.npz").exists()

    database_files.MODEL_DIR = web_dir  # another host: nothing on its disk
    registry.forget_loaded()
    bundle = registry.active_bundle()
    local = web_dir / "recommender" / f"{run.version}.npz"
    assert bundle is not None and bundle.version == run.version
    assert shared.sha256_of(local) == run.model_sha256
    assert shared.sha256_of(model_files.index_path(local)) == run.index_sha256
    assert not list((web_dir / "recommender").glob("*.partial"))

    # A damaged local copy is replaced from the shared one before loading.
    local.write_bytes(b"half a model")
    registry.forget_loaded()
    assert model_files.load_bundle(run).version == run.version
    assert shared.sha256_of(local) == run.model_sha256


def test_a_damaged_shared_copy_is_never_served(rated_catalogue, database_files, tmp_path):
    database_files.MODEL_DIR = tmp_path / "worker-models"
    run = train("test", FAST)
    StoredChunk.objects.filter(file__name=f"models/recommender/{run.version}.npz").update(
        data=b"not a model"
    )
    database_files.MODEL_DIR = tmp_path / "web-models"
    with pytest.raises(model_files.ModelFileError, match="missing|damaged"):
        model_files.load_bundle(run)
    assert not (tmp_path / "web-models" / "recommender" / f"{run.version}.npz").exists()


def test_a_host_that_cannot_write_its_copy_reports_the_model_missing(
    rated_catalogue, database_files, tmp_path
):
    database_files.MODEL_DIR = tmp_path / "worker-models"
    run = train("test", FAST)
    database_files.MODEL_DIR = tmp_path / "web-models"
    # Something else sits where the copy must go: the rename fails with an OSError.
    (tmp_path / "web-models" / "recommender" / f"{run.version}.npz").mkdir(parents=True)
    with pytest.raises(model_files.ModelFileError, match="missing"):
        model_files.load_bundle(run)


def test_a_rollback_on_a_host_without_the_files_fetches_them(
    rated_catalogue, database_files, tmp_path
):
    database_files.MODEL_DIR = tmp_path / "worker-models"
    first = train("test", FAST)
    second = train("test", FAST)
    assert second.is_active
    database_files.MODEL_DIR = tmp_path / "web-models"
    assert registry.rollback().version == first.version
    registry.forget_loaded()
    assert registry.active_bundle().version == first.version
    assert (tmp_path / "web-models" / "recommender" / f"{first.version}.index.npz").is_file()


def test_a_one_host_site_shares_its_files_when_it_moves_to_the_database(
    rated_catalogue, settings, tmp_path
):
    from django.core.management import call_command

    from mangaki.models import Work

    settings.MODEL_DIR = tmp_path / "models"
    settings.MEDIA_ROOT = tmp_path / "media"
    run = train("test", FAST)  # FILE_STORAGE=local: nothing published
    work = Work.objects.first()
    work.poster.save("1.jpg", ContentFile(b"a poster"), save=True)
    assert not StoredFile.objects.exists()

    settings.FILE_STORAGE, settings.STORAGES = "database", DATABASE_FILES
    call_command("share_files")
    call_command("share_files")  # again: nothing copied twice
    assert StoredFile.objects.count() == 3
    with default_storage.open(work.poster.name) as handle:
        assert handle.read() == b"a poster"
    settings.MODEL_DIR = tmp_path / "another-host"
    registry.forget_loaded()
    assert registry.active_bundle().version == run.version


# -- tag heads ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_tag_head_activated_on_one_host_is_used_by_another(database_files, tmp_path):
    from tagger import heads

    path = activate_a_tag_head(database_files, tmp_path / "worker-models")

    database_files.MODEL_DIR = tmp_path / "web-models"
    found = heads.active_head_path()
    assert found == tmp_path / "web-models" / "tag_heads" / path.name
    assert found.read_bytes() == path.read_bytes()
    head = heads.active_head()
    assert head is not None and list(head.tag_names_) == ["a", "b"]


# -- posters ------------------------------------------------------------------------------


@pytest.fixture
def database_media(database_files):
    import mangaki.urls

    importlib.reload(mangaki.urls)
    clear_url_caches()
    yield
    database_files.FILE_STORAGE = "local"
    importlib.reload(mangaki.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_a_poster_in_the_database_is_served_with_caching_headers(
    database_media, client, django_assert_num_queries
):
    from mangaki.models import Category, Work

    assert isinstance(default_storage, DatabaseStorage)
    work = Work.objects.create(title="Stored", category=Category.objects.get(slug="anime"))
    data = b"\xff\xd8\xff\xe0" + b"jpeg" * 500
    work.poster.save("1.jpg", ContentFile(data), save=True)
    assert work.poster.url == "/media/posters/1.jpg"
    with django_assert_num_queries(2):  # the file's row, then its chunks
        response = client.get(work.poster.url)
        assert b"".join(response.streaming_content) == data
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["Content-Length"] == str(len(data))
    again = client.get(work.poster.url, headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304
    assert client.get("/media/posters/none.jpg").status_code == 404
    assert client.get("/media/../models/recommender/x.npz").status_code == 404


@pytest.mark.django_db
def test_a_stored_file_that_is_not_an_image_is_a_download(database_media, client):
    default_storage.save("posters/page.html", ContentFile(b"<script>alert(1)</script>"))
    response = client.get("/media/posters/page.html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


# -- settings -----------------------------------------------------------------------------

PROBE = (
    "import json, django; django.setup(); from django.conf import settings; "
    "from django.core.files.storage import storages; "
    "print(json.dumps({k: v['BACKEND'] for k, v in settings.STORAGES.items()} | "
    "{'url': storages['default'].url('posters/1.jpg')}))"
)


def _probe(tmp_path, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "FILE_STORAGE"} and not k.startswith("AWS_")
    }
    clean.update(MANGAKI_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="mangaki.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def test_file_storage_selects_local_database_or_s3(tmp_path):
    local = json.loads(_probe(tmp_path).stdout)
    assert local["default"].endswith("FileSystemStorage") and "models" not in local
    database = json.loads(_probe(tmp_path, FILE_STORAGE="database").stdout)
    assert database["default"] == database["models"] == "mangaki.storage.DatabaseStorage"
    assert database["url"] == "/media/posters/1.jpg"
    done = _probe(
        tmp_path,
        FILE_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="posters",
        AWS_S3_ENDPOINT_URL="https://s3.example.org",
        AWS_ACCESS_KEY_ID="id",
        AWS_SECRET_ACCESS_KEY="secret",  # noqa: S106 (a test value)
    )
    assert done.returncode == 0, done.stderr
    s3 = json.loads(done.stdout)
    assert s3["default"] == s3["models"] == "storages.backends.s3.S3Storage"
    assert s3["url"] == "https://s3.example.org/posters/media/posters/1.jpg"


def test_a_bad_file_storage_stops_start_up_with_its_name(tmp_path):
    done = _probe(tmp_path, FILE_STORAGE="nfs")
    assert done.returncode != 0 and "FILE_STORAGE='nfs' is not one of" in done.stderr
    done = _probe(tmp_path, FILE_STORAGE="s3")
    assert done.returncode != 0 and "AWS_STORAGE_BUCKET_NAME" in done.stderr
