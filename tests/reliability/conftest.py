"""One private topology for the fault tests (PostgreSQL, Redis, gunicorn, worker, beat),
built once per module: the tests stop and restart its parts and leave it running."""

from __future__ import annotations

import pytest
from django.conf import settings

from benchmarks.topology import Client, PrivatePostgres, PrivateRedis, Site, available

pytestmark = [pytest.mark.slow, pytest.mark.real_worker]


def _skip_reason() -> str | None:
    if not (settings.IS_POSTGRES and settings.REDIS_URL):
        return "fault tests run in the PostgreSQL + Redis pass (DATABASE_URL and REDIS_URL set)"
    return available()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("topology")
    postgres = PrivatePostgres()
    redis = PrivateRedis(folder)
    topology = Site(folder, postgres, redis)
    try:
        topology.prepare()
        done = topology.manage(
            "shell", "-c",
            "from mangaki.models import ApiToken; from django.contrib.auth import "
            "get_user_model as g; print(ApiToken.objects.issue(g().objects.get("
            "username='member'), 'faults')[1])",
        )  # fmt: skip
        topology.api_key = done.stdout.strip().splitlines()[-1]
        topology.manage("train", "--iterations", "3", "--rank", "8")
        topology.start_web()
        topology.start_worker()
        topology.start_beat()
        yield topology
    finally:
        topology.stop_all()
        redis.stop()
        postgres.remove()


@pytest.fixture
def member(site) -> Client:
    client = Client(site)
    client.login("member", "member pass 42")
    return client


@pytest.fixture
def staff(site) -> Client:
    client = Client(site)
    client.login("staff", "staff pass 42")
    return client
