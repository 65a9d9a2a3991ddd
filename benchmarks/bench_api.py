"""Latency of ``GET /api/v1/me/recommendations`` through the whole Django stack.

Builds a throw-away SQLite site in a temporary folder (the first ``--works`` works of the
bundled catalogue, ``--users`` simulated users, a trained model), then calls the endpoint
with Django's test client (token authentication, throttling, serializers, JSON) for a
demo user:

- *uncached*: the user's ratings version is bumped before each call, as after a new
  rating, so every call folds the user in, scores and explains;
- *cached*: the same question again (the ranked ids come from the cache).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_api                    # prints the numbers
    .venv/bin/python -m benchmarks.bench_api --write-doc        # and records them in docs/api.md
    DATABASE_URL=postgres://... python -m benchmarks.bench_api  # against PostgreSQL instead
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api.md"
START, END = "<!-- bench_api:start -->", "<!-- bench_api:end -->"


def _build_site(n_works: int, n_users: int, params: dict):
    from django.core.management import call_command

    from benchmarks.bench_serving import import_catalogue_head
    from mangaki.services.demo import seed_demo
    from recommender.training import train

    call_command("migrate", verbosity=0)
    import_catalogue_head(n_works, Path(os.environ["MANGAKI_VAR_DIR"]))
    seed_demo(n_users=n_users, seed=7)
    return train("benchmark", params)


def _timed(client, path: str, calls: int, before=None) -> list[float]:
    latencies = []
    for _ in range(calls):
        if before is not None:
            before()
        start = time.perf_counter()
        response = client.get(path)
        latencies.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.content
    return latencies


def _summary(latencies: list[float]) -> str:
    p50, p95 = np.percentile(latencies, [50, 95])
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, mean {statistics.fmean(latencies):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=3000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--n", type=int, default=20, help="recommendations per call")
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        os.environ["MANGAKI_VAR_DIR"] = folder
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")
        # With DATABASE_URL on a server and DEBUG off the settings require a SECRET_KEY.
        os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret-0123456789abcdefghij")
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.cache import cache
        from django.db.models import Count
        from django.test import Client
        from django.test.utils import override_settings, setup_test_environment

        from mangaki.models import ApiToken

        setup_test_environment()  # lets the test client's "testserver" host in
        start = time.perf_counter()
        run = _build_site(args.works, args.users, {"n_iter": 10})
        print(f"site built and model {run.version} trained in {time.perf_counter() - start:.1f} s")

        user = (
            get_user_model()
            .objects.filter(profile__is_demo=True)
            .annotate(n=Count("ratings"))
            .order_by("-n", "pk")
            .first()
        )
        _token, key = ApiToken.objects.issue(user, "benchmark")
        client = Client(HTTP_AUTHORIZATION=f"Token {key}")
        path = f"/api/v1/me/recommendations?category=anime&n={args.n}"
        rates = {"anon": "1000000/minute", "user": "1000000/minute"}
        rest = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
        with override_settings(REST_FRAMEWORK=rest):
            _timed(client, path, 3)  # a warm worker: model and tag matrix loaded
            uncached = _timed(client, path, args.calls, cache.clear)
            cached = _timed(client, path, args.calls)
        db = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
        lines = [
            f"`python -m benchmarks.bench_api --works {args.works} --users {args.users} "
            f"--calls {args.calls}` on {platform.machine()}, {os.cpu_count()} cores, {db}, "
            f"user with {user.n} ratings, n={args.n}:",
            "",
            f"- uncached (after a new rating: fold-in, scoring, explanations): "
            f"{_summary(uncached)}",
            f"- cached (same question again): {_summary(cached)}",
        ]
        print("\n".join(lines))
        if args.write_doc:
            text = DOC.read_text(encoding="utf-8")
            head, rest_of_doc = text.split(START, 1)
            tail = rest_of_doc.split(END, 1)[1]
            DOC.write_text(f"{head}{START}\n" + "\n".join(lines) + f"\n{END}{tail}", "utf-8")


if __name__ == "__main__":
    main()
