"""Faults of the production topology, with real processes: each test breaks one part
(Redis, PostgreSQL, the worker, the training process, a model file) while the site is
used, and checks that no page that can serve answers 500, that no acknowledged write is
lost or miscounted once the part is back, and that the dashboard tells the truth."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.topology import ROOT, Client, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.real_worker]

COUNTERS_MATCH = (
    "SELECT count(*) FROM mangaki_work w WHERE w.nb_ratings <> "
    "(SELECT count(*) FROM mangaki_rating r WHERE r.work_id = w.id)"
)


def work_ids(site, n: int, offset: int = 0) -> list[int]:
    rows = site.sql(f"SELECT id FROM mangaki_work ORDER BY id LIMIT {n} OFFSET {offset}")
    return [int(x) for x in rows.split()]


def pages(site, work: int) -> list[str]:
    return [
        "/",
        f"/work/{work}/",
        "/anime/?sort=top",
        "/recommendations/",
        "/deck/anime/",
        "/taste-map/anime/",
        f"/api/v1/works/{work}",
        "/api/v1/me/recommendations",
        "/search/suggest/?q=nar",
    ]


def counters_right(site) -> bool:
    dirty = site.sql("SELECT count(*) FROM mangaki_dirtywork")
    return site.sql(COUNTERS_MATCH) == "0" and dirty == "0"


def test_redis_stopped_mid_requests(site, member, staff):
    works = work_ids(site, 6, offset=20)
    api = {"Authorization": f"Token {site.api_key}", "Content-Type": "application/json"}
    site.redis.stop()
    try:
        answers = {}
        for path in pages(site, works[0]):
            status, _ = member.request(path)
            answers[path] = status
        assert all(status == 200 for status in answers.values()), answers
        # Writes commit and say so: the deck, the work page's form, the API.
        status, _ = member.request("/deck/anime/rate/", {"work": works[0], "choice": "like"})
        assert status == 200
        status, _ = member.request(f"/work/{works[1]}/rate/", {"choice": "favorite"})
        assert status == 200
        status, body = member.request(
            f"/api/v1/me/ratings/{works[2]}", method="PUT", body=b'{"choice": "dislike"}',
            headers=api,
        )  # fmt: skip
        assert status in (200, 201), body
        stored = site.sql(
            "SELECT count(*) FROM mangaki_rating r JOIN auth_user u ON u.id = r.user_id "
            f"WHERE u.username = 'member' AND r.work_id IN ({works[0]}, {works[1]}, {works[2]})"
        )
        assert stored == "3"
        # The health endpoint and the dashboard say Redis is down.
        status, health = member.json("/healthz")
        assert status == 200 and health["redis"]["up"] is False and "redis" in health["degraded"]
        status, board = staff.request("/admin/dashboard/")
        assert status == 200 and "Redis: DOWN" in board
        # The recounts that could not be queued wait in the database.
        assert int(site.sql("SELECT count(*) FROM mangaki_dirtywork")) >= 3
    finally:
        site.redis.start()
    # Back: beat's recount of dirty works makes every counter true again.
    wait_until(lambda: counters_right(site), 120, "the dirty works' recount", site.folder)
    status, health = member.json("/healthz")
    assert health["redis"]["up"] is True


def test_postgres_restart_costs_no_request(site, member):
    works = work_ids(site, 4, offset=40)
    paths = ["/", f"/work/{works[0]}/", "/recommendations/", "/anime/?sort=top"]
    # Every web thread holds a connection now.
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert set(pool.map(lambda p: member.request(p)[0], paths * 4)) == {200}
    site.postgres.restart()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda p: member.request(p)[0], paths * 6))
    assert statuses.count(500) == 0, statuses
    # A rating made right after the restart is counted by the worker.
    status, _ = member.request(f"/work/{works[1]}/rate/", {"choice": "like"})
    assert status == 200
    wait_until(lambda: counters_right(site), 120, "the recount after the restart", site.folder)


def test_a_recount_failing_on_the_database_is_retried(site, member):
    """The database goes away between a rating's commit and its recount: the task retries
    with back-off (or marks the work dirty) and the counter ends up right."""
    (work,) = work_ids(site, 1, offset=60)
    site.stop("worker")
    status, _ = member.request(f"/work/{work}/rate/", {"choice": "like"})
    assert status == 200
    site.postgres.stop()
    site.start_worker()  # takes the recount while the database is away
    time.sleep(8)
    site.postgres.start()
    wait_until(lambda: counters_right(site), 180, "the retried recount", site.folder)


def _start_training(site) -> None:
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "mangaki", "call", "recommender.tasks.train_model",
         "--kwargs", '{"triggered_by": "faults", "params": {"n_iter": 20, "rank": 16}}'],
        cwd=ROOT, env=site.env, check=True, timeout=60,
    )  # fmt: skip
    wait_until(
        lambda: site.sql("SELECT count(*) FROM recommender_trainingrun WHERE status = 'running'")
        == "1",
        120,
        "the training to start",
        site.folder,
    )


def _runs(site) -> list[tuple[str, str, str]]:
    rows = site.sql(
        "SELECT version, status, error FROM recommender_trainingrun "
        "WHERE triggered_by = 'faults' ORDER BY started_at"
    )
    return [tuple(line.split("|", 2)) for line in rows.splitlines() if line]


def test_training_pool_process_killed_is_taken_over(site, staff):
    """As an out-of-memory kill does: the pool process dies mid-training, the worker
    redelivers the task, which finds its own run dead and trains again."""
    before = site.sql("SELECT version FROM recommender_trainingrun WHERE is_active")
    _start_training(site)
    worker = site.processes["worker"]
    children = subprocess.run(
        ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert children, "the prefork worker has no pool process"
    for child in children:
        os.kill(int(child), signal.SIGKILL)
    wait_until(
        lambda: any(status == "succeeded" for _, status, _ in _runs(site))
        or any(status == "rejected" for _, status, _ in _runs(site)),
        300,
        "the redelivered training to finish",
        site.folder,
    )
    runs = _runs(site)
    dropped = [r for r in runs if r[1] == "failed"]
    assert dropped and ("dropped" in dropped[0][2] or "heartbeat" in dropped[0][2]), runs
    status, board = staff.request("/admin/dashboard/")
    assert status == 200 and dropped[0][0] in board
    assert site.sql("SELECT version FROM recommender_trainingrun WHERE is_active") != "" and before


def test_worker_killed_mid_training_keeps_the_old_model_and_redelivers(site, member):
    active = site.sql("SELECT version FROM recommender_trainingrun WHERE is_active")
    started = len(_runs(site))
    _start_training(site)
    site.stop("worker", signal.SIGKILL)
    # The old model keeps serving meanwhile.
    status, page = member.request("/recommendations/")
    assert status == 200 and f"Model {active}" in page
    site.start_worker()
    # Redelivered after the visibility timeout (60 s here): a new run finishes.
    wait_until(
        lambda: len([r for r in _runs(site)[started:] if r[1] in ("succeeded", "rejected")]) >= 1,
        400,
        "the training redelivered after the worker's death",
        site.folder,
    )


def test_two_trainings_at_once_run_one(site):
    commands = [
        subprocess.Popen(
            [sys.executable, "manage.py", "train", "--iterations", "5", "--rank", "8"],
            cwd=ROOT,
            env=site.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    outputs = [c.communicate(timeout=600)[0] for c in commands]
    codes = sorted(c.returncode for c in commands)
    assert codes == [0, 1], outputs
    assert any("already running" in out for out in outputs), outputs


def test_a_damaged_model_file_is_never_served(site, member, staff):
    runs = site.sql(
        "SELECT version, model_path FROM recommender_trainingrun WHERE model_path <> '' "
        "AND status IN ('succeeded', 'rejected') ORDER BY started_at"
    ).splitlines()
    assert len(runs) >= 2, runs
    active, path = site.sql(
        "SELECT version, model_path FROM recommender_trainingrun WHERE is_active"
    ).split("|")
    with open(path, "r+b") as handle:
        handle.truncate(Path(path).stat().st_size // 2)
    site.stop("web")
    site.start_web()
    works = work_ids(site, 1, offset=80)
    for page in pages(site, works[0]):
        status, _ = member.request(page)
        assert status == 200, (page, status)
    now_active = site.sql("SELECT version FROM recommender_trainingrun WHERE is_active")
    assert now_active != active, "the damaged model is still the active one"
    status, page = member.request("/recommendations/")
    assert f"Model {now_active}" in page
    status, board = staff.request("/admin/dashboard/")
    assert status == 200 and active in board and "damaged" in board
    refused = site.manage("rollback_model", "--model", active, check=False)
    assert refused.returncode != 0 and "damaged" in refused.stderr
    assert site.sql("SELECT version FROM recommender_trainingrun WHERE is_active") == now_active


def test_backup_drop_restore_serves_the_same_ratings_and_model(site, member):
    ratings = site.sql("SELECT count(*), sum(work_id), max(date) FROM mangaki_rating")
    active = site.sql("SELECT version FROM recommender_trainingrun WHERE is_active")
    folder = site.manage("backup").stdout.strip().split()[-1]
    assert Path(folder, "manifest.json").is_file()
    site.stop_all()
    site.postgres.psql(f"DROP DATABASE {site.database} WITH (FORCE)")
    site.postgres.psql(f"CREATE DATABASE {site.database}")
    for name in ("models", "media"):
        subprocess.run(["rm", "-rf", str(site.folder / name)], check=True)
    site.manage("backup", "--restore", folder, "--yes")
    assert site.sql("SELECT count(*), sum(work_id), max(date) FROM mangaki_rating") == ratings
    # The planner has statistics again (a restored table without them is read by scans).
    analysed = "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = "
    assert site.sql(analysed + "'mangaki_rating'") == "t"
    site.start_web()
    site.start_worker()
    site.start_beat()
    again = Client(site)
    again.login("member", "member pass 42")
    status, page = again.request("/recommendations/")
    assert status == 200 and f"Model {active}" in page
