"""Load run of the production topology, started locally as real processes, with locust.

    python -m benchmarks.bench_load --seconds 120 --users 40

Starts a private PostgreSQL and Redis, builds a site (catalogue head, simulated people,
members with API tokens, a trained model), then gunicorn (``gunicorn.conf.py``),
a Celery worker and beat, and nginx in front (``deploy/nginx.conf``) when nginx is
installed. Replays the mixed workload of ``benchmarks/locustfile.py`` (visitors' deck
ratings, API rating PUTs, recommendation pages and API, work pages, search) for a bounded
time, then checks that every acknowledged rating is in the database with its last value
and that every work's counters equal a recount, and prints p50/p95/p99 per endpoint and
the error count.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.topology import ROOT, Client, PrivatePostgres, PrivateRedis, Site, free_port
from benchmarks.topology import wait_until as _wait_until


def _members(site: Site, n: int) -> dict[str, str]:
    """Create ``n`` members with API tokens; returns {api key: username}."""
    script = (
        "import json; from django.contrib.auth import get_user_model as g; "
        "from mangaki.models import ApiToken; keys = {}\n"
        f"for i in range({n}):\n"
        "    u = g().objects.create_user(f'load{i:04d}', password='load pass 42')\n"
        "    keys[ApiToken.objects.issue(u, 'load')[1]] = u.username\n"
        "print(json.dumps(keys))"
    )
    done = site.manage("shell", "-c", script)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _nginx(site: Site, folder: Path) -> int | None:
    """Start nginx in front of the site's gunicorn with deploy/nginx.conf; its port."""
    binary = shutil.which("nginx")
    if binary is None:
        return None
    port = free_port()
    server = (ROOT / "deploy" / "nginx.conf").read_text()
    server = server.replace("server web:8000;", f"server 127.0.0.1:{site.web_port};")
    server = server.replace("listen 80;", f"listen 127.0.0.1:{port};")
    (folder / "nginx").mkdir(exist_ok=True)
    conf = folder / "nginx" / "nginx.conf"
    conf.write_text(
        f"pid {folder}/nginx/nginx.pid;\nerror_log {folder}/nginx/error.log;\n"
        "worker_processes 1;\nevents { worker_connections 1024; }\n"
        f"http {{\n access_log off;\n client_body_temp_path {folder}/nginx/body;\n"
        f" proxy_temp_path {folder}/nginx/proxy;\n{server}\n}}\n"
    )
    subprocess.run([binary, "-c", str(conf), "-p", str(folder / "nginx")], check=True)
    return port


def _percentiles(stats_csv: Path) -> list[dict]:
    with open(stats_csv, newline="") as handle:
        return list(csv.DictReader(handle))


def _verify(site: Site, acks_path: Path, keys: dict[str, str]) -> dict:
    last: dict[tuple[str, int], str] = {}
    if acks_path.exists():
        for line in acks_path.read_text().splitlines():
            record = json.loads(line)
            last[keys[record["key"]], record["work"]] = record["choice"]
    stored = {}
    for line in site.sql(
        "SELECT u.username, r.work_id, r.choice FROM mangaki_rating r JOIN auth_user u "
        "ON u.id = r.user_id WHERE u.username LIKE 'load%'"
    ).splitlines():
        user, work, choice = line.split("|")
        stored[user, int(work)] = choice
    lost = [k for k in last if k not in stored]
    wrong = [k for k, choice in last.items() if k in stored and stored[k] != choice]
    counters = site.sql(
        "SELECT count(*) FROM mangaki_work w WHERE w.nb_ratings <> "
        "(SELECT count(*) FROM mangaki_rating r WHERE r.work_id = w.id)"
    )
    return {
        "acknowledged": len(last),
        "lost": len(lost),
        "wrong_value": len(wrong),
        "works_miscounted": int(counters),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=120, help="length of the load")
    parser.add_argument("--users", type=int, default=40, help="simultaneous locust users")
    parser.add_argument("--works", type=int, default=2000, help="catalogue head imported")
    parser.add_argument("--people", type=int, default=300, help="simulated raters")
    parser.add_argument("--members", type=int, default=60, help="members with API tokens")
    parser.add_argument("--no-proxy", action="store_true", help="hit gunicorn directly")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="mangaki-load-"))
    postgres = PrivatePostgres()
    redis = PrivateRedis(folder)
    # One machine plays every client from one address: the per-address limits would
    # measure themselves, not the site.
    site = Site(folder, postgres, redis, extra_env={"RATE_LIMITS_ENABLED": "off"})
    try:
        started = time.perf_counter()
        site.prepare(works=args.works, users=args.people)
        keys = _members(site, args.members)
        site.manage("train", "--iterations", "5")
        print(f"site built in {time.perf_counter() - started:.0f} s", flush=True)
        site.start_web()
        site.start_worker()
        site.start_beat()
        port = None if args.no_proxy else _nginx(site, folder)
        host = f"http://127.0.0.1:{port}" if port else site.url
        popular = "SELECT id FROM mangaki_work ORDER BY nb_ratings DESC, id LIMIT 300"
        works = [int(w) for w in site.sql(popular).split()]
        setup = folder / "setup.json"
        setup.write_text(json.dumps({"keys": list(keys), "works": works}))
        acks = folder / "acks.jsonl"
        load_before = os.getloadavg()[0]
        run = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"),
             "--headless", "--host", host, "--users", str(args.users), "--spawn-rate", "10",
             "--run-time", f"{args.seconds}s", "--csv", str(folder / "load"), "--only-summary",
             "--stop-timeout", "10"],
            cwd=ROOT, env={**os.environ, "LOAD_SETUP": str(setup), "LOAD_ACKS": str(acks)},
            capture_output=True, text=True, timeout=args.seconds + 300, check=False,
        )  # fmt: skip
        load_after = os.getloadavg()[0]
        # Let the worker drain the recounts, then compare with the database.
        _wait_until(
            lambda: site.sql("SELECT count(*) FROM mangaki_dirtywork") == "0"
            and Client(site).request("/healthz")[0] == 200
            and _queue_empty(site),
            300, "the worker to drain its queue", folder,
        )  # fmt: skip
        time.sleep(3)
        checked = _verify(site, acks, keys)
        rows = _percentiles(folder / "load_stats.csv")
        print(
            f"\n{args.users} users for {args.seconds} s against "
            f"{'nginx -> ' if port else ''}gunicorn (2 workers x 4 threads), a worker, beat, "
            f"PostgreSQL and Redis; {args.works} works; load average {load_before:.1f} before, "
            f"{load_after:.1f} after, {os.cpu_count()} cores\n"
        )
        print("| endpoint | requests | errors | p50 ms | p95 ms | p99 ms | req/s |")
        print("|---|---|---|---|---|---|---|")
        errors = 0
        for row in rows:
            name = row["Name"] if row["Type"] else "all"
            print(
                f"| {name} | {row['Request Count']} | {row['Failure Count']} "
                f"| {row['50%']} | {row['95%']} | {row['99%']} | {float(row['Requests/s']):.1f} |"
            )
            if row["Name"] == "Aggregated":
                errors = int(row["Failure Count"])
        failures = folder / "load_failures.csv"
        by_error = defaultdict(int)
        if failures.exists():
            for row in csv.DictReader(open(failures, newline="")):
                by_error[f"{row['Method']} {row['Name']}: {row['Error']}"[:160]] += int(
                    row["Occurrences"]
                )
        print(f"\nerrors: {errors}" + "".join(f"\n  {k}: {v}" for k, v in by_error.items()))
        print(
            f"acknowledged ratings checked: {checked['acknowledged']}, lost: {checked['lost']}, "
            f"wrong value: {checked['wrong_value']}; works whose counters differ from a "
            f"recount: {checked['works_miscounted']}"
        )
        if run.returncode not in (0, 1):  # locust exits 1 when some requests failed
            print(run.stderr[-3000:])
        ok = checked["lost"] == 0 and checked["wrong_value"] == 0
        return 0 if ok and checked["works_miscounted"] == 0 else 1
    finally:
        if (folder / "nginx" / "nginx.pid").exists():
            subprocess.run(["nginx", "-s", "stop", "-c", str(folder / "nginx" / "nginx.conf"),
                            "-p", str(folder / "nginx")], check=False)  # fmt: skip
        site.stop_all()
        redis.stop()
        postgres.remove()


def _queue_empty(site: Site) -> bool:
    import redis

    client = redis.Redis(port=site.redis.port)
    return all(client.llen(queue) == 0 for queue in ("default", "tagging", "training"))


if __name__ == "__main__":
    raise SystemExit(main())
