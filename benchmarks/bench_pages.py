"""Server time of the site's main pages on a 10,000-work catalogue: a check, p95 < 100 ms.

Server time is the wall time of one request through Django's test ``Client``, in process:
URL routing, middleware, session, the view with its database queries and model calls, and
the template. No network, no web server (gunicorn) and no static files are counted.

The site: the first ``--works`` works of the bundled catalogue (with their genres as tags
and a poster embedding each, as after tagging), ``--users`` simulated users
(``mangaki.services.demo``: popularity- and taste-driven ratings), on PostgreSQL, and a
model trained with the default parameters. The actors:

- a member, the simulated user whose number of ratings is closest to ``--member-ratings``;
- a visitor who rated 10 cards of the popular deck (ratings kept in the session);
- a guest without a session (rankings, home, work page).

Recommendation pages are timed uncached: the member's ratings version is bumped before each
request, as after a new rating, so each one folds the member in, scores and explains.
Every page gets a few warm-up requests (a warm worker has the model loaded), then
``--requests`` timed ones; the query count and the time spent in queries (``db ms``) are
those of one more request. The ``cpu`` column is this process's CPU time (view and
template, not PostgreSQL's work): steadier than wall time when the machine is busy.

Run from the repository root::

    python -m benchmarks.bench_pages                   # build, train, time; exit 1 if slow
    python -m benchmarks.bench_pages --reuse --json var/bench-pages.json

``DATABASE_URL`` defaults to ``postgres://postgres@127.0.0.1:5432/mangaki_bench`` (created
when missing; the build replaces its ratings). ``--reuse`` keeps a site built earlier.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mangaki_bench")
# A database server without DEBUG needs a SECRET_KEY; this one only signs benchmark sessions.
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret-0123456789abcdefghijklmnop")
# Server time is measured here, not the rate limits (the search box is asked hundreds of times).
os.environ.setdefault("RATE_LIMITS_ENABLED", "off")
ROOT = Path(__file__).resolve().parents[1]
BUDGET_MS = 100.0
EMBEDDING_DIM = 1280  # the tagger's EfficientNet-Lite0 embedding
VISITOR_RATINGS = ("like", "favorite", "dislike", "neutral", "like", "wontsee", "willsee")


@dataclass
class Timing:
    page: str
    path: str
    actor: str
    p50_ms: float
    p95_ms: float
    max_ms: float
    cpu_p50_ms: float  # this process's CPU time: the view and template, not PostgreSQL's work
    queries: int
    db_ms: float  # the queries' time, in one request


def _add_poster_embeddings(seed: int) -> None:
    """Give every work a poster embedding, as once the tagger has run over the catalogue
    (random vectors: what they encode does not change what the pages cost)."""
    from django.utils import timezone

    from mangaki.models import Work

    rng = np.random.default_rng(seed)
    now = timezone.now()  # before the model's snapshot: not "tagged since the model"
    works = list(Work.objects.only("pk").order_by("pk"))
    for work in works:
        work.poster_embedding = rng.normal(size=EMBEDDING_DIM).astype(np.float32).tobytes()
        work.poster_tagged_at = now
    Work.objects.bulk_update(works, ["poster_embedding", "poster_tagged_at"], batch_size=500)


def _build(n_works: int, n_users: int, seed: int) -> None:
    from django.db import connection

    from benchmarks.bench_serving import import_catalogue_head
    from mangaki.models import Rating
    from mangaki.services.demo import seed_demo
    from recommender.training import train

    t = time.perf_counter()
    import_catalogue_head(n_works, ROOT / "var")
    Rating.objects.all().delete()  # e.g. bench_serving's uniform ratings
    summary = seed_demo(n_users=n_users, seed=seed)
    _add_poster_embeddings(seed)
    print(f"catalogue and {summary.ratings:,} ratings in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    run = train("benchmark")
    print(f"model {run.version} ({run.status}) trained in {time.perf_counter() - t:.1f} s")
    # What autovacuum does on a live site: without statistics the planner misjudges every
    # query on the freshly filled tables.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _is_built(n_works: int, n_users: int) -> bool:
    from mangaki.models import Profile, Work
    from recommender.registry import active_bundle

    return (
        Work.objects.count() >= n_works
        and Profile.objects.filter(is_demo=True).count() >= n_users
        and active_bundle() is not None
    )


def _actors(category, member_ratings: int):
    """(member, another member with a public profile, visitor client) for the pages."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import Count, F, Func
    from django.test import Client

    from mangaki.services.decks import deck

    demo = get_user_model().objects.filter(profile__is_demo=True).annotate(n=Count("ratings"))
    distance = Func(F("n") - member_ratings, function="ABS")
    member = demo.annotate(d=distance).order_by("d", "pk").first()
    other = demo.exclude(pk=member.pk).order_by("-n", "pk").first()
    member.profile.nsfw_ok = True  # so the recommendations' adult filter can be switched on
    member.profile.save(update_fields=["nsfw_ok"])

    visitor = Client()
    card = deck(AnonymousUser(), category, "popular", n=1)[0].pk
    for i in range(10):
        response = visitor.post(
            f"/deck/{category.slug}/rate/",
            {"work": card, "choice": VISITOR_RATINGS[i % len(VISITOR_RATINGS)], "slot": "popular"},
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 200, response.content
        card = response.json()["work"]
    return member, other, visitor


def _optional_path(name: str, *args, query: str = "") -> str | None:
    """The path of a page that the site may not have (yet)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return None


def _pages(category, member, other) -> list[tuple[str, str, str]]:
    """(page, actor, path) of every page to time."""
    from mangaki.models import Work
    from mangaki.views.works import PAGE_SIZE, RANKINGS

    slug = category.slug
    popular_work = Work.objects.filter(category=category, nsfw=False).popular().first()
    pages = [
        ("home", "guest", "/"),
        ("deck popular", "member", f"/deck/{slug}/?slot=popular"),
        ("deck diverse", "member", f"/deck/{slug}/?slot=diverse"),
        ("deck popular", "visitor", f"/deck/{slug}/?slot=popular"),
        ("deck diverse", "visitor", f"/deck/{slug}/?slot=diverse"),
        ("recommendations", "member", f"/recommendations/{slug}/"),
        (
            "recommendations, filtered",
            "member",
            f"/recommendations/{slug}/?min_popularity=20&nsfw=on",
        ),
        ("first recommendations", "visitor", f"/deck/{slug}/recommendations/"),
        ("profile, own", "member", f"/u/{member.username}/"),
        ("profile, public other", "member", f"/u/{other.username}/"),
        ("work page", "guest", f"/work/{popular_work.pk}/"),
        ("work page", "member", f"/work/{popular_work.pk}/"),
    ]
    visible = Work.objects.filter(category=category, nsfw=False)
    for sort, (_label, method) in RANKINGS.items():
        last = max(1, math.ceil(getattr(visible, method)().count() / PAGE_SIZE))
        pages.append((f"ranking {sort}", "guest", f"/{slug}/?sort={sort}"))
        pages.append((f"ranking {sort}, page {last}", "guest", f"/{slug}/?sort={sort}&page={last}"))
    pages.append(("search results", "guest", f"/{slug}/?q=gundam"))
    optional = [
        ("search suggestions", "guest", _optional_path("search-suggest", query="?q=gundam")),
        ("taste map", "member", _optional_path("taste-map", slug)),
        ("taste map", "visitor", _optional_path("taste-map", slug)),
    ]
    return pages + [(page, actor, path) for page, actor, path in optional if path]


def _time(client, path: str, n: int, warmup: int, before: Callable[[], None] | None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: status {response.status_code}")

    for _ in range(warmup):
        get()
    latencies, cpu = [], []
    for _ in range(n):
        if before is not None:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        get()
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    if before is not None:
        before()
    with CaptureQueriesContext(connection) as queries:
        get()
    p50, p95 = np.percentile(latencies, [50, 95])
    db = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    return float(p50), float(p95), float(max(latencies)), float(np.median(cpu)), len(queries), db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--member-ratings", type=int, default=300)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true", help="keep a site built earlier")
    parser.add_argument("--json", type=Path, help="also write the results there")
    args = parser.parse_args()

    import django

    # Static files are not served in this benchmark; whitenoise warns that none were collected.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from benchmarks.bench_serving import ensure_database
    from mangaki.models import Category, Rating, Work
    from recommender.registry import active_version

    ensure_database()
    call_command("migrate", verbosity=0)
    if not (args.reuse and _is_built(args.works, args.users)):
        _build(args.works, args.users, args.seed)
    category = Category.objects.get(slug="anime")
    results = []
    # The test client's host; everything else is the production configuration.
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        member, other, visitor = _actors(category, args.member_ratings)
        clients = {"guest": Client(), "member": Client(), "visitor": visitor}
        clients["member"].force_login(member)
        uncached = {"recommendations", "recommendations, filtered"}
        n_member = Rating.objects.filter(user=member).count()
        print(
            f"{Work.objects.count():,} works, {Rating.objects.count():,} ratings, model "
            f"{active_version()}; member {member.username} with {n_member} ratings; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        for page, actor, path in _pages(category, member, other):
            # Uncached: the member's lists are computed again (fold-in, ranking, explanations).
            before = cache.clear if page in uncached else None
            timing = _time(clients[actor], path, args.requests, args.warmup, before)
            results.append(Timing(page, path, actor, *timing))

    print(
        f"\n{'page':<30} {'actor':<8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'cpu ms':>7} "
        f"{'queries':>7} {'db ms':>6}"
    )
    for r in results:
        flag = "  OVER" if r.p95_ms > BUDGET_MS else ""
        print(
            f"{r.page:<30} {r.actor:<8} {r.p50_ms:7.1f} {r.p95_ms:7.1f} {r.max_ms:7.1f} "
            f"{r.cpu_p50_ms:7.1f} {r.queries:7d} {r.db_ms:6.1f}{flag}"
        )
    over = [r for r in results if r.p95_ms > BUDGET_MS]
    if args.json:
        report = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "load_average": os.getloadavg()[0],
            "database": "PostgreSQL",
            "cache": "Redis" if settings.REDIS_URL else "local memory",
            "works": Work.objects.count(),
            "ratings": Rating.objects.count(),
            "member_ratings": n_member,
            "model": active_version(),
            "requests_per_page": args.requests,
            "budget_ms": BUDGET_MS,
            "pages": [asdict(r) for r in results],
            "over_budget": [f"{r.page} ({r.actor})" for r in over],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if over:
        print(f"\n{len(over)} page(s) over the {BUDGET_MS:.0f} ms p95 budget")
        sys.exit(1)
    print(f"\nall pages within the {BUDGET_MS:.0f} ms p95 budget")


if __name__ == "__main__":
    main()
