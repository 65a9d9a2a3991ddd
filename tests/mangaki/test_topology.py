"""The docker-compose topology, as real processes: gunicorn, a Celery worker and beat,
against real PostgreSQL and Redis. Rates a work over HTTP and watches the worker's task
update the counters; watches beat's heartbeat reach the worker.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg2
import pytest
import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = f"mangaki_topology_{os.getpid()}"
REDIS_DB = 13

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_worker,
    pytest.mark.skipif(
        not (settings.IS_POSTGRES and settings.REDIS_URL),
        reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin_connection():
    params = dict(settings.DATABASES["default"])
    conn = psycopg2.connect(
        dbname="postgres",
        user=params.get("USER") or "postgres",
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or "127.0.0.1",
        port=params.get("PORT") or 5432,
    )
    conn.autocommit = True
    return conn, params


@pytest.fixture
def topology(tmp_path):
    conn, params = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB_NAME}")
    user = params.get("USER") or "postgres"
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    parsed = urllib.parse.urlparse(settings.REDIS_URL)
    redis_url = parsed._replace(path=f"/{REDIS_DB}").geturl()
    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{user}@{host}:{port}/{DB_NAME}",
        "REDIS_URL": redis_url,
        "SECRET_KEY": "topology-test-secret-" + "x" * 40,
        "MANGAKI_VAR_DIR": str(tmp_path),
        "BEAT_HEARTBEAT_SECONDS": "2",
        "DJANGO_SETTINGS_MODULE": "mangaki.settings",
    }
    run = {"cwd": ROOT, "env": env, "check": True, "timeout": 300}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], **run)
    catalogue = tmp_path / "head.csv"
    lines = (ROOT / "data" / "anime.csv").read_text(encoding="utf-8").splitlines()[:301]
    catalogue.write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "manage.py", "import_catalog", str(catalogue), "--no-progress"], **run
    )
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--users", "40"], **run)
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("web", "worker", "beat")}
    commands = {
        "web": [
            str(bin_dir / "gunicorn"),
            "mangaki.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        "worker": [
            str(bin_dir / "celery"),
            "-A",
            "mangaki",
            "worker",
            "-Q",
            "default,tagging,training",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
        ],
        "beat": [
            str(bin_dir / "celery"),
            "-A",
            "mangaki",
            "beat",
            "--schedule",
            str(tmp_path / "beat-schedule"),
            "--loglevel",
            "INFO",
        ],
    }
    processes = {
        name: subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT)
        for name, cmd in commands.items()
    }
    try:
        yield {"url": f"http://127.0.0.1:{port}", "env": env, "redis": redis_url, "logs": tmp_path}
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.close()


def _wait_until(predicate, timeout, what, logs):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.3)
    tails = {p.name: p.read_text()[-2000:] for p in Path(logs).glob("*.log")}
    pytest.fail(f"timed out waiting for {what}; logs: {tails}")


def _query(env, sql, *args):
    url = urllib.parse.urlparse(env["DATABASE_URL"])
    with (
        psycopg2.connect(
            dbname=url.path.lstrip("/"), user=url.username, host=url.hostname, port=url.port
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(sql, args)
        return cur.fetchone()


def test_rating_over_http_is_counted_by_the_worker_and_beat_is_alive(topology):
    base = topology["url"]
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    _wait_until(lambda: opener.open(base + "/").status == 200, 30, "gunicorn", topology["logs"])

    page = opener.open(base + "/accounts/signup/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"username": "eve", "password1": "topology pass 42", "password2": "topology pass 42"}
    opener.open(
        urllib.request.Request(
            base + "/accounts/signup/",
            data=urllib.parse.urlencode({**form, "csrfmiddlewaretoken": token}).encode(),
        )
    )
    (work_id,) = _query(topology["env"], "SELECT id FROM mangaki_work WHERE mal_id = 5114")
    page = opener.open(f"{base}/work/{work_id}/").read().decode()
    assert "Log out" in page, "sign-up over HTTP did not log in"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    # Read before rating: the worker may recount before the redirect's page is served.
    before = _query(topology["env"], "SELECT nb_like FROM mangaki_work WHERE id = %s", work_id)[0]
    response = opener.open(
        urllib.request.Request(
            f"{base}/work/{work_id}/rate/",
            data=urllib.parse.urlencode({"choice": "like", "csrfmiddlewaretoken": token}).encode(),
        )
    )
    assert response.status == 200  # followed the redirect back to the work page
    user_ratings = "SELECT count(*) FROM mangaki_rating r JOIN auth_user u ON u.id = r.user_id"
    assert _query(topology["env"], user_ratings + " WHERE u.username = 'eve'")[0] == 1

    def counted():
        count = _query(topology["env"], "SELECT nb_like FROM mangaki_work WHERE id = %s", work_id)
        return count == (before + 1,)

    # The web process only queues the recount: the worker's task makes it true.
    _wait_until(counted, 60, "the worker to recount the work", topology["logs"])

    store = redis.Redis.from_url(topology["redis"])
    _wait_until(
        lambda: any(b"heartbeat:beat" in key for key in store.keys("*heartbeat*")),
        60,
        "beat's heartbeat task to run on the worker",
        topology["logs"],
    )

    # The training task, run by the worker, makes a model the site then serves.
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "mangaki", "call", "recommender.tasks.train_model",
         "--kwargs", '{"triggered_by": "topology", "params": {"n_iter": 3, "rank": 5}}'],
        cwd=ROOT, env=topology["env"], check=True, timeout=60,
    )  # fmt: skip
    active = "SELECT version FROM recommender_trainingrun WHERE is_active"
    _wait_until(lambda: _query(topology["env"], active), 120, "the training", topology["logs"])
    (version,) = _query(topology["env"], active)
    page = opener.open(base + "/recommendations/").read().decode()
    assert f"Model {version}" in page
    first = re.findall(r'<a href="/work/(\d+)/">', page)
    assert len(first) >= 10 and str(work_id) not in first
    # Rating the top recommendation changes the next list at once, with the same model.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    token = token.group(1) if token else next(c.value for c in jar if c.name == "csrftoken")
    opener.open(
        urllib.request.Request(
            f"{base}/work/{first[0]}/rate/",
            data=urllib.parse.urlencode(
                {"choice": "dislike", "csrfmiddlewaretoken": token}
            ).encode(),
        )
    )
    page = opener.open(base + "/recommendations/").read().decode()
    assert f"Model {version}" in page
    second = re.findall(r'<a href="/work/(\d+)/">', page)
    assert first[0] not in second and second != first
