"""Search and taste map on a 10,000-work catalogue, on the embedded default (SQLite): a
check, p95 < 100 ms, and the map layout's neighbour preservation against PCA.

The site: the first ``--works`` works of the bundled catalogue, ``--users`` simulated
users (``mangaki.services.demo``), a model trained with the default parameters (its
training computes the map's layout). Timed, in process through Django's test ``Client``
(routing, middleware, view, queries, template; no web server):

- the header's suggestions (``/search/suggest/?q=``) and the results page (``/anime/?q=``)
  for typed, misspelt, reordered and foreign queries, after one warm-up request that builds
  the title index (its build time is printed apart);
- the taste map page for a member (their recommendations cached, as after a first visit)
  and for a visitor with 10 ratings in the session.

Run from the repository root::

    python -m benchmarks.bench_ux              # build (minutes), then time; exit 1 if slow
    python -m benchmarks.bench_ux --reuse      # time a site built earlier

The database is ``var/bench-ux.sqlite3`` unless ``DATABASE_URL`` says otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-ux.sqlite3'}")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret-0123456789abcdefghijklmnop")
os.environ.setdefault("RATE_LIMITS_ENABLED", "off")
BUDGET_MS = 100.0
QUERIES = (
    "naruto",
    "naruo",
    "Naruto shipuuden",
    "code geass r2",
    "geass code",
    "fullmetal alchemist brotherhod",
    "steins gate",
    "gundam",
    "one piece",
    "進撃の巨人",
    "xqzw vbnm",
)


def _build(n_works: int, n_users: int, seed: int) -> None:
    from benchmarks.bench_serving import import_catalogue_head
    from mangaki.models import Rating
    from mangaki.services.demo import seed_demo
    from recommender.training import train

    t = time.perf_counter()
    import_catalogue_head(n_works, ROOT / "var")
    Rating.objects.all().delete()
    summary = seed_demo(n_users=n_users, seed=seed)
    print(f"catalogue and {summary.ratings:,} ratings in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    run = train("benchmark")
    print(f"model {run.version} ({run.status}) trained in {time.perf_counter() - t:.1f} s")


def _time(client, path: str, n: int) -> tuple[float, float, float]:
    latencies = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path)
        latencies.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: status {response.status_code}")
    p50, p95 = np.percentile(latencies, [50, 95])
    return float(p50), float(p95), float(max(latencies))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per path")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true", help="keep a site built earlier")
    args = parser.parse_args()

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import override_settings

    from mangaki.models import Category, Profile, Rating, Work
    from mangaki.services.decks import deck
    from mangaki.services.search import TitleIndex, forget_title_indexes
    from recommender.facade import served_model
    from recommender.models import TrainingRun

    (ROOT / "var").mkdir(exist_ok=True)
    call_command("migrate", verbosity=0)
    built = (
        Work.objects.count() >= args.works
        and Profile.objects.filter(is_demo=True).count() >= args.users
        and TrainingRun.objects.filter(is_active=True).exists()
    )
    if not (args.reuse and built):
        _build(args.works, args.users, args.seed)
    model = served_model()
    run = TrainingRun.objects.get(is_active=True)
    anime = Category.objects.get(slug="anime")
    print(
        f"{Work.objects.count():,} works, {Rating.objects.count():,} ratings, model "
        f"{run.version}, database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )

    results = []
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        guest = Client()
        forget_title_indexes()
        t = time.perf_counter()
        guest.get("/search/suggest/", {"q": "warm up"})
        print(f"title index built on the first search: {(time.perf_counter() - t) * 1000:.0f} ms")
        rows = list(Work.objects.values_list("pk", "title"))
        t = time.perf_counter()
        TitleIndex((w, title, None) for w, title in rows)
        print(f"  of which the index itself: {(time.perf_counter() - t) * 1000:.0f} ms")
        for query in QUERIES:
            path = f"/search/suggest/?q={query}"
            results.append(("suggest", query, *_time(guest, path, args.requests)))
        for query in QUERIES[:4]:
            path = f"/anime/?q={query}"
            results.append(("results page", query, *_time(guest, path, args.requests)))

        member = (
            get_user_model()
            .objects.filter(profile__is_demo=True)
            .annotate(n=Count("ratings"))
            .order_by("-n", "pk")[10]
        )
        members = Client()
        members.force_login(member)
        members.get("/taste-map/anime/")  # their recommendations, cached as after a visit
        results.append(("taste map", "member", *_time(members, "/taste-map/anime/", args.requests)))
        visitor = Client()
        card = deck(AnonymousUser(), anime, "popular", n=1)[0].pk
        for i in range(10):
            choice = ("like", "favorite", "dislike", "neutral", "like")[i % 5]
            response = visitor.post(
                "/deck/anime/rate/",
                {"work": card, "choice": choice, "slot": "popular"},
                HTTP_ACCEPT="application/json",
            )
            card = response.json()["work"]
        results.append(
            ("taste map", "visitor", *_time(visitor, "/taste-map/anime/", args.requests))
        )

    print(f"\n{'what':<14} {'query or actor':<32} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    for what, which, p50, p95, worst in results:
        flag = "  OVER" if p95 > BUDGET_MS else ""
        print(f"{what:<14} {which:<32} {p50:7.1f} {p95:7.1f} {worst:7.1f}{flag}")
    layout = model.layout() if model is not None else None
    if layout is not None:
        q = layout.quality
        print(
            f"\nmap layout ({layout.method}, {len(layout.labels)} regions) computed in "
            f"{run.durations.get('layout', float('nan')):.1f} s at training; neighbours kept "
            f"on {q.get('n', 0):.0f} works (10 nearest): trustworthiness t-SNE "
            f"{q.get('tsne_trustworthiness', float('nan')):.3f} vs PCA "
            f"{q.get('pca_trustworthiness', float('nan')):.3f}; k-NN overlap t-SNE "
            f"{q.get('tsne_knn_overlap', float('nan')):.3f} vs PCA "
            f"{q.get('pca_knn_overlap', float('nan')):.3f}"
        )
        print("regions: " + "; ".join(label for label in layout.labels))
    over = [r for r in results if r[3] > BUDGET_MS]
    if over:
        print(f"\n{len(over)} path(s) over the {BUDGET_MS:.0f} ms p95 budget")
        sys.exit(1)
    print(f"\nall within the {BUDGET_MS:.0f} ms p95 budget")


if __name__ == "__main__":
    main()
