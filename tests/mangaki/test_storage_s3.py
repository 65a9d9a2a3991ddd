"""FILE_STORAGE=s3 end to end: the storages the settings build from the AWS_* variables,
against an S3 API served over HTTP on this host (moto's server, standing in for MinIO or a
cloud bucket). Two hosts are two MODEL_DIRs that share only the bucket and the database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

from recommender import model_files, registry
from recommender.training import train
from tests.mangaki.conftest import ROOT, activate_a_tag_head
from tests.recommendations.conftest import FAST

moto_server = pytest.importorskip("moto.server", reason="moto (requirements-dev.txt)")

BUCKET = "mangaki-files"
KEYS = {"AWS_ACCESS_KEY_ID": "test-id", "AWS_SECRET_ACCESS_KEY": "test-secret"}
# The policy docs/operations.md gives: posters readable by anyone, model files private.
PUBLIC_POSTERS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/media/*",
        }
    ],
}


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _storages_from_settings(endpoint: str, tmp_path) -> dict:
    """settings.STORAGES as a fresh process builds it from the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        KEYS,
        FILE_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=endpoint,
        AWS_S3_REGION_NAME="us-east-1",
        MANGAKI_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="mangaki.settings",
    )
    env.pop("DATABASE_URL", None)
    code = "import json, django; django.setup(); from django.conf import settings; "
    code += "print(json.dumps(settings.STORAGES))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


@pytest.fixture
def s3_files(settings, s3_endpoint, tmp_path):
    import boto3

    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1",
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_POSTERS))
    built = _storages_from_settings(s3_endpoint, tmp_path)
    settings.FILE_STORAGE = "s3"
    settings.STORAGES = {**built, "staticfiles": settings.STORAGES["staticfiles"]}
    yield settings, client
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_a_model_trained_on_one_host_is_active_on_another_through_the_bucket(
    rated_catalogue, s3_files, tmp_path
):
    settings, client = s3_files
    settings.MODEL_DIR = tmp_path / "worker-models"
    run = train("test", FAST)
    assert run.is_active
    keys = {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"models/recommender/{run.version}.npz" in keys

    settings.MODEL_DIR = tmp_path / "web-models"  # another host: nothing on its disk
    registry.forget_loaded()
    bundle = registry.active_bundle()
    assert bundle is not None and bundle.version == run.version
    name = f"recommender/{run.version}.npz"
    local, published = tmp_path / "web-models" / name, tmp_path / "worker-models" / name
    assert local.read_bytes() == published.read_bytes()

    # A second training, then a rollback decided on the web host, both reach the other.
    settings.MODEL_DIR = tmp_path / "worker-models"
    second = train("test", FAST)
    assert second.is_active
    settings.MODEL_DIR = tmp_path / "web-models"
    registry.forget_loaded()
    assert registry.active_bundle().version == second.version
    assert registry.rollback().version == run.version
    settings.MODEL_DIR = tmp_path / "third-host"
    registry.forget_loaded()
    assert registry.active_bundle().version == run.version


def test_a_damaged_object_in_the_bucket_is_never_served(rated_catalogue, s3_files, tmp_path):
    settings, client = s3_files
    settings.MODEL_DIR = tmp_path / "worker-models"
    run = train("test", FAST)
    client.put_object(Bucket=BUCKET, Key=f"models/recommender/{run.version}.npz", Body=b"rot")
    settings.MODEL_DIR = tmp_path / "web-models"
    registry.forget_loaded()
    with pytest.raises(model_files.ModelFileError, match="missing|damaged"):
        model_files.load_bundle(run)
    assert not (tmp_path / "web-models" / "recommender" / f"{run.version}.npz").exists()


@pytest.mark.django_db
def test_a_tag_head_activated_on_one_host_is_used_by_another_through_the_bucket(s3_files, tmp_path):
    from tagger import heads

    settings, _ = s3_files
    path = activate_a_tag_head(settings, tmp_path / "worker-models")

    settings.MODEL_DIR = tmp_path / "web-models"
    found = heads.active_head_path()
    assert found is not None and found.read_bytes() == path.read_bytes()
    head = heads.active_head()
    assert head is not None and list(head.tag_names_) == ["a", "b"]


@pytest.mark.django_db
def test_a_poster_saved_by_one_host_is_served_from_the_bucket(s3_files, s3_endpoint):
    from mangaki.models import Work
    from tests.factories import WorkFactory

    settings, client = s3_files
    work = WorkFactory()
    work.poster.save("1.jpg", ContentFile(b"a poster"), save=True)
    again = Work.objects.get(pk=work.pk)  # read back as another host would
    again.poster.save("1.jpg", ContentFile(b"another poster"), save=True)
    assert again.poster.name != work.poster.name  # a new poster gets a new name (caches)
    stored = client.head_object(Bucket=BUCKET, Key=f"media/{work.poster.name}")
    assert stored["CacheControl"] == "public, max-age=86400"
    url = storages["default"].url(work.poster.name)
    assert url == f"{s3_endpoint}/{BUCKET}/media/{work.poster.name}"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a local test server)
        assert response.read() == b"a poster"
    with default_storage.open(again.poster.name) as handle:
        assert handle.read() == b"another poster"
    storages["models"].save("recommender/private.npz", ContentFile(b"weights"))
    with pytest.raises(urllib.error.HTTPError, match="403"):
        urllib.request.urlopen(f"{s3_endpoint}/{BUCKET}/models/recommender/private.npz")  # noqa: S310
