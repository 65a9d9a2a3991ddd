"""Shared fixtures: the standard actors and a catalogue small enough to reason about."""

from pathlib import Path

import pytest

# The pure libraries' tests never touch Django's database or Celery: CI runs them once,
# on the SQLite pass, since the PostgreSQL + Redis pass cannot change their outcome.
LIBRARY_TESTS = [Path(__file__).parent / name for name in ("recommender", "tagger")]


def pytest_collection_modifyitems(items):
    for item in items:
        if any(folder in item.path.parents for folder in LIBRARY_TESTS):
            item.add_marker(pytest.mark.library)


@pytest.fixture(autouse=True)
def _tasks_inline_in_unit_tests(request):
    # Unit tests run Celery tasks inline even when REDIS_URL points at a real broker;
    # the real worker is exercised by tests/mangaki/test_topology.py.
    from mangaki.celery import app

    if request.node.get_closest_marker("real_worker"):
        yield
        return
    # The configuration is read from Django settings under the CELERY_ namespace, so the
    # override must use the namespaced key.
    previous = app.conf.task_always_eager
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = previous


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from mangaki.memo import clear_all

    # The shared cache and every per-process memo (loaded models, the served model, the
    # poster index, tag heads, taste-map layouts): no test sees another test's values.
    cache.clear()
    clear_all()
    yield


@pytest.fixture
def alice(db):
    from tests.factories import UserFactory

    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    from tests.factories import UserFactory

    return UserFactory(username="bob")


@pytest.fixture
def charlie(db):
    from tests.factories import UserFactory

    return UserFactory(username="charlie")


@pytest.fixture
def anime(db):
    from tests.factories import category

    return category("anime")


def pytest_unconfigure(config):
    """One line at the very end: how many tests were skipped, grouped by reason."""
    from collections import Counter

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    reasons: Counter = Counter()
    for report in reporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if reasons:
        summary = "; ".join(f"{n} x {reason}" for reason, n in reasons.most_common())
        reporter.write_line(f"skipped ({sum(reasons.values())}): {summary}")
