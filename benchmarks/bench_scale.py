"""The site at scale: snapshot, training, model files, serving and rankings at N ratings.

    MODEL_DIR=/srv/scale-models nice -n 19 python -m benchmarks.bench_scale \\
        --ratings 10000000 --users 1000000 --works 20000 --json var/bench-scale.json

Builds, resumably, a PostgreSQL database of simulated ratings (``--db``, default
``mangaki_scale_<size>``, created when missing, on the server of ``DATABASE_URL``):
the bundled catalogue plus generated works up to ``--works``; ``--users`` consenting
members; ratings drawn from planted tastes (each member belongs to one of 24 taste groups,
works have hidden factors, a member picks works by popularity times affinity and rates
them by affinity plus noise), with a heavy-tailed number of ratings per member. Each step
skips what exists, so an interrupted build resumes.

Then measures, each in the process that would do it on a site:

- the snapshot (seconds, peak resident memory of a child process that only snapshots);
- ``train`` in a child process: the stages the run records (``durations``) and its peak
  resident memory; a finished run of the same ratings is reused (``--retrain`` forces one);
- the model files' size, and the activation time (the registry loading the new model);
- ``recommend()`` p50/p95 for members with 10, 300 and 3,000 ratings (uncached calls);
- the rankings pages (first and last page of each sort) through Django's test client.

Prints one row and appends it as JSON to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks.scale_site import FACTORS, TASTES, Tastes, build, choices_from_affinity

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")
# A database server without DEBUG needs a SECRET_KEY; this one signs nothing that matters.
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret-0123456789abcdefghijklmnop")
os.environ.setdefault("RATE_LIMITS_ENABLED", "off")
ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgres://postgres@127.0.0.1:5432"
PROBES = (10, 300, 3000)  # ratings of the members whose recommendations are timed
TRIGGER = "scale benchmark"


def size_label(n: int) -> str:
    """10000000 -> "10m", 300000 -> "300k"."""
    for unit, div in (("m", 1_000_000), ("k", 1_000)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def configure(args) -> None:
    """Point Django at this size's database before it is set up."""
    url = os.environ.get("DATABASE_URL", "")
    server = url.rsplit("/", 1)[0] if url.count("/") > 2 else SERVER
    os.environ["DATABASE_URL"] = (
        f"{server}/{args.db or 'mangaki_scale_' + size_label(args.ratings)}"
    )


def peak_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- measures -----------------------------------------------------------------------------


def _child(mode: str, args) -> dict:
    """Run this script in ``mode`` in a child process; its last stdout line is JSON."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.bench_scale",
        "--child",
        mode,
        "--ratings",
        str(args.ratings),
    ]
    if args.db:
        command += ["--db", args.db]
    out = subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def child_main(mode: str) -> None:
    from recommender.snapshot import take_snapshot

    if mode == "snapshot":
        t = time.perf_counter()
        snapshot = take_snapshot()
        seconds = time.perf_counter() - t
        result = {"seconds": seconds, "peak_mb": peak_mb(), "nnz": int(snapshot.ratings.nnz)}
    else:
        from recommender.training import train

        run = train(TRIGGER, {"n_iter": 5})
        result = {"version": run.version, "peak_mb": peak_mb()}
    print(json.dumps(result))


def probe_member(n: int, seed: int):
    """A member (not in training: no consent) with exactly n ratings drawn from tastes."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from mangaki.models import Profile, Rating, Work

    user, _ = get_user_model().objects.get_or_create(
        username=f"probe_{n}", defaults={"password": "!"}
    )
    Profile.objects.get_or_create(user=user)
    if Rating.objects.filter(user=user).count() != n:
        Rating.objects.filter(user=user).delete()
        work_ids = np.array(
            Work.objects.order_by("pk").values_list("pk", flat=True), dtype=np.int64
        )
        tastes = Tastes(len(work_ids), seed)
        rng = np.random.default_rng([seed, 4, n])
        # Without replacement: a member's draws repeat works, and n distinct ones are asked.
        group = n % TASTES
        share = np.diff(tastes.pick[group], prepend=0.0)
        cols = rng.choice(len(work_ids), size=min(n, len(work_ids)), replace=False, p=share)
        vector = tastes.centres[group] + 0.7 * rng.normal(size=FACTORS)
        choices = choices_from_affinity(tastes.items[cols] @ vector / math.sqrt(FACTORS), rng)
        now = timezone.now()
        Rating.objects.bulk_create(
            [
                Rating(user=user, work_id=int(work_ids[c]), choice=str(choice), date=now)
                for c, choice in zip(cols, choices, strict=True)
            ]
        )
    return user, Rating.objects.filter(user=user).count()


def time_recommend(calls: int, seed: int) -> dict:
    from mangaki.models import Category
    from recommender.serving import recommend

    anime = Category.objects.get(slug="anime").pk
    out = {}
    for n in PROBES:
        user, have = probe_member(n, seed)
        recommend(user, category_id=anime, n=20)  # a warm worker has the model loaded
        latencies = []
        for call in range(calls):
            t = time.perf_counter()
            # A new "exclude" each call defeats the cache: every call folds in and ranks.
            recommend(user, category_id=anime, n=20, exclude={-1 - call})
            latencies.append((time.perf_counter() - t) * 1000)
        p50, p95 = np.percentile(latencies, [50, 95])
        out[str(n)] = {
            "ratings": have,
            "p50_ms": round(float(p50), 1),
            "p95_ms": round(float(p95), 1),
        }
    return out


def time_rankings(requests: int) -> dict:
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    from mangaki.models import Category, Work
    from mangaki.views.works import PAGE_SIZE, RANKINGS

    category = Category.objects.get(slug="anime")
    visible = Work.objects.filter(category=category, nsfw=False)
    client = Client()
    out = {}
    # The test client's host; everything else is the production configuration.
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        for sort in ("top", "popular", "pearls"):
            last = max(1, math.ceil(getattr(visible, RANKINGS[sort][1])().count() / PAGE_SIZE))
            for page in (1, last):
                path = f"/{category.slug}/?sort={sort}&page={page}"
                client.get(path)  # warm-up
                latencies = []
                for _ in range(requests):
                    t = time.perf_counter()
                    response = client.get(path)
                    latencies.append((time.perf_counter() - t) * 1000)
                    if response.status_code != 200:
                        raise SystemExit(f"{path}: status {response.status_code}")
                out[f"{sort} p{page}"] = round(float(np.percentile(latencies, 95)), 1)
    return out


def training_run(args) -> tuple[object, float | None]:
    """The run of these ratings (a new one unless one exists), with the trainer's peak MB."""
    from recommender.models import RunStatus, TrainingRun

    done = TrainingRun.objects.filter(
        triggered_by=TRIGGER,
        n_ratings=args.nnz,
        status__in=[RunStatus.SUCCEEDED, RunStatus.REJECTED],
    ).order_by("-started_at")
    run = None if args.retrain else done.first()
    peak = None
    if run is None:
        result = _child("train", args)
        run, peak = TrainingRun.objects.get(version=result["version"]), result["peak_mb"]
    elif args.json and args.json.exists():
        for line in args.json.read_text().splitlines():
            row = json.loads(line)
            if row.get("version") == run.version and row.get("train_peak_mb"):
                peak = row["train_peak_mb"]
    return run, peak


def measure(args) -> dict:
    from mangaki.models import Work
    from recommender import model_files, registry

    load = [os.getloadavg()[0]]
    snap = _child("snapshot", args)
    args.nnz = snap["nnz"]
    print(f"snapshot: {snap['seconds']:.1f} s, peak {snap['peak_mb']:.0f} MB", flush=True)
    run, train_peak = training_run(args)
    print(f"training {run.version} ({run.status}): {run.durations}", flush=True)
    model = Path(run.model_path)
    size = model.stat().st_size + model_files.index_path(model).stat().st_size
    if not run.is_active:
        registry.switch_to(run.version, by=TRIGGER, force=True)
    registry.forget_loaded()
    t = time.perf_counter()
    registry.active_bundle()
    activation = time.perf_counter() - t
    load.append(os.getloadavg()[0])
    rec = time_recommend(args.calls, args.seed)
    rankings = time_rankings(args.requests)
    load.append(os.getloadavg()[0])
    return {
        "ratings": args.nnz,
        "members": args.users,
        "works": Work.objects.count(),
        "snapshot_s": round(snap["seconds"], 2),
        "snapshot_peak_mb": round(snap["peak_mb"]),
        "version": run.version,
        "status": run.status,
        "durations": run.durations,
        "train_peak_mb": round(train_peak) if train_peak else None,
        "rmse": run.metrics.get("rmse"),
        "recall_at_20": run.metrics.get("recall_at_20"),
        "popularity_recall_at_20": run.metrics.get("popularity_recall_at_20"),
        "model_mb": round(size / 2**20, 1),
        "activation_s": round(activation, 2),
        "recommend": rec,
        "rankings_p95_ms": rankings,
        "load_average": [round(x, 1) for x in load],
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }


def print_row(row: dict) -> None:
    d = row["durations"]
    rec = " ".join(f"{k}:{v['p50_ms']}/{v['p95_ms']}" for k, v in row["recommend"].items())
    print(
        "ratings | works | snapshot s (MB) | train s: evaluate/fit/layout/total (MB) | model MB "
        "| activation s | recommend p50/p95 ms by ratings | rankings p95 ms max"
    )
    print(
        f"{row['ratings']:,} | {row['works']:,} | {row['snapshot_s']} ({row['snapshot_peak_mb']}) "
        f"| {d.get('evaluate', 0):.0f}/{d.get('fit', 0):.0f}/{d.get('layout', 0):.0f}/"
        f"{d.get('total', 0):.0f} ({row['train_peak_mb']}) | {row['model_mb']} "
        f"| {row['activation_s']} "
        f"| {rec} | {max(row['rankings_p95_ms'].values())}"
    )


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ratings", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--works", type=int, default=20_000)
    parser.add_argument("--db", help="database name (default mangaki_scale_<ratings>)")
    parser.add_argument("--calls", type=int, default=100, help="timed recommend() calls per member")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per rankings page")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--retrain", action="store_true", help="train even if a run exists")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--json", type=Path, help="append the row there, as one JSON line")
    parser.add_argument("--child", choices=["snapshot", "train"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    configure(args)
    # Static files are not served in this benchmark; whitenoise warns that none were collected.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    if args.child:
        child_main(args.child)
        return
    build(args)
    if args.build_only:
        return
    row = measure(args)
    print_row(row)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        with args.json.open("a") as out:
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
