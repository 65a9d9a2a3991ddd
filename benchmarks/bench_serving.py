"""Serving latency and snapshot time, on a real database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mangaki_bench \\
        python -m benchmarks.bench_serving --ratings 1000000 --works 10000

The database is created if it does not exist. Prints: the time to snapshot the ratings
into arrays, and p50/p95 of one uncached ``recommend()`` call (fold-in of the user's
current ratings, scoring, explanations and the database reads) for a user with 300 ratings.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")
# A database server without DEBUG needs a SECRET_KEY; this one signs nothing that matters.
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret-0123456789abcdefghijklmnop")
ROOT = Path(__file__).resolve().parents[1]


def ensure_database() -> None:
    """Create the PostgreSQL database that ``DATABASE_URL`` names, if it does not exist."""
    import psycopg2
    from django.conf import settings
    from psycopg2 import sql

    if not settings.IS_POSTGRES:
        raise SystemExit("point DATABASE_URL at a PostgreSQL database made for this benchmark")
    db = settings.DATABASES["default"]
    server = psycopg2.connect(
        dbname="postgres",
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    server.autocommit = True  # CREATE DATABASE cannot run inside a transaction
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
    finally:
        server.close()


def import_catalogue_head(n_works: int, folder: Path) -> None:
    """Import the first ``n_works`` works of the bundled catalogue (with their genres)."""
    from mangaki.catalog_import import import_catalog

    lines = (ROOT / "data" / "anime.csv").read_text(encoding="utf-8").splitlines()[: n_works + 1]
    head = folder / "bench-catalogue.csv"
    head.parent.mkdir(exist_ok=True)
    head.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_catalog(head)


def _populate(n_works: int, n_ratings: int, seed: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from mangaki.choices import Choice
    from mangaki.models import Profile, Rating, Work

    call_command("migrate", verbosity=0)
    if Rating.objects.count() >= n_ratings and Work.objects.count() >= n_works:
        Profile.objects.filter(user__username__startswith="bench_").update(research_ok=True)
        return
    import_catalogue_head(n_works, ROOT / "var")
    Rating.objects.all().delete()
    User = get_user_model()
    per_user = 100
    n_users = n_ratings // per_user
    User.objects.filter(username__startswith="bench_").delete()
    # "!" is Django's unusable-password marker: benchmark users cannot log in.
    users = [User(username=f"bench_{i:06d}", password="!") for i in range(n_users)]  # noqa: S106
    User.objects.bulk_create(users, batch_size=5000)
    user_ids = np.array(
        User.objects.filter(username__startswith="bench_")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Profile.objects.bulk_create(
        [Profile(user_id=int(u)) for u in user_ids], ignore_conflicts=True, batch_size=5000
    )
    # Training reads the ratings of consenting profiles only.
    Profile.objects.filter(user_id__in=user_ids.tolist()).update(research_ok=True)
    work_ids = np.array(Work.objects.order_by("pk").values_list("pk", flat=True))
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, len(work_ids) + 1) ** 0.8
    popularity /= popularity.sum()
    choices = np.array(Choice.values)
    buffer = io.StringIO()
    for chunk in np.array_split(np.arange(n_users), max(1, n_users // 1000)):
        for u in chunk:
            items = rng.choice(len(work_ids), size=per_user, replace=False, p=popularity)
            picks = choices[rng.integers(0, len(choices), per_user)]
            for w, c in zip(work_ids[items], picks, strict=True):
                buffer.write(f"{user_ids[u]}\t{w}\t{c}\t2025-01-01 00:00:00+00\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            "COPY mangaki_rating (user_id, work_id, choice, date) FROM STDIN", buffer
        )


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    django.setup()
    from django.contrib.auth import get_user_model

    from mangaki.models import Category, Rating
    from recommender.serving import recommend
    from recommender.snapshot import take_snapshot
    from recommender.training import train

    ensure_database()
    t = time.perf_counter()
    _populate(args.works, args.ratings, args.seed)
    print(f"populated in {time.perf_counter() - t:.1f} s")

    times = []
    for _ in range(3):
        t = time.perf_counter()
        snapshot = take_snapshot()
        times.append(time.perf_counter() - t)
    print(
        f"snapshot of {snapshot.ratings.nnz:,} ratings x {len(snapshot.work_ids):,} works: "
        f"median {np.median(times):.2f} s (of 3)"
    )

    from recommender.models import TrainingRun

    t = time.perf_counter()
    run = TrainingRun.objects.filter(is_active=True, triggered_by="benchmark").first()
    run = run or train("benchmark", {"n_iter": 5})
    print(
        f"training ({run.version}): {time.perf_counter() - t:.1f} s, "
        f"held-out RMSE {run.metrics.get('rmse'):.4f}"
    )

    user = get_user_model().objects.filter(username__startswith="bench_").order_by("pk").first()
    # Give the user exactly 300 ratings, a mix of the six choices.
    Rating.objects.filter(user=user).delete()
    works = list(
        Category.objects.get(slug="anime").works.order_by("?").values_list("pk", flat=True)[:300]
    )
    choices = ["favorite", "like", "like", "neutral", "dislike", "willsee", "wontsee"]
    Rating.objects.bulk_create(
        [
            Rating(user=user, work_id=w, choice=choices[i % 7], date=run.started_at)
            for i, w in enumerate(works)
        ]
    )
    n = Rating.objects.filter(user=user).count()
    anime = Category.objects.get(slug="anime").pk
    recommend(user, category_id=anime, n=20)  # load the model once, as a warm worker has
    latencies = []
    for call in range(args.calls):
        t = time.perf_counter()
        # A new "exclude" each call defeats the cache: every call folds in and ranks.
        recs = recommend(user, category_id=anime, n=20, exclude={-1 - call})
        latencies.append((time.perf_counter() - t) * 1000)
    assert len(recs) == 20
    p50, p95 = np.percentile(latencies, [50, 95])
    print(
        f"recommend() for a user with {n} ratings on {len(snapshot.work_ids):,} works, "
        f"{args.calls} uncached calls: p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )


if __name__ == "__main__":
    main()
