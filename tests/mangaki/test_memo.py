"""Per-process memos keyed by a version stamp (mangaki/memo.py)."""

import itertools
import threading
import time

import pytest

from mangaki.memo import VersionedMemo, clear_all, memos

_names = itertools.count()


def memo(**options) -> VersionedMemo:
    return VersionedMemo(f"tests.memo.{next(_names)}", **options)


def test_a_value_is_computed_once_per_stamp_and_again_for_a_new_stamp():
    calls = []
    numbers = memo()

    def compute(stamp):
        return lambda: calls.append(stamp) or f"value of {stamp}"

    assert numbers.get_or_compute("v1", compute("v1")) == "value of v1"
    assert numbers.get_or_compute("v1", compute("v1")) == "value of v1"
    assert numbers.get_or_compute("v2", compute("v2")) == "value of v2"
    assert calls == ["v1", "v2"]
    assert numbers.get("v1") is None  # keep=1: the old version is dropped
    assert list(numbers) == ["v2"]


def test_keep_bounds_the_values_oldest_dropped_first():
    layouts = memo(keep=2)
    for stamp in "abc":
        layouts[stamp] = stamp.upper()
    assert list(layouts) == ["b", "c"] and layouts.get("a") is None
    assert layouts.latest() == "C"


def test_max_age_recomputes_a_value_that_has_no_cheap_stamp():
    served = memo(max_age=0.05)
    calls = []
    served.get_or_compute("v1", lambda: calls.append(1))
    served.get_or_compute("v1", lambda: calls.append(2))
    time.sleep(0.06)
    served.get_or_compute("v1", lambda: calls.append(3))
    assert calls == [1, 3]


def test_threads_asking_at_once_compute_the_value_once():
    models = memo()
    started = []
    gate = threading.Event()

    def load():
        started.append(1)
        gate.wait(1)
        return object()

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(models.get_or_compute("v", load)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    gate.set()
    for thread in threads:
        thread.join()
    assert len(started) == 1
    assert len({id(r) for r in results}) == 1


def test_clear_all_resets_every_memo_of_the_process():
    one, two = memo(), memo(keep=None)
    one["a"] = 1
    two["b"] = 2
    clear_all()
    assert len(one) == 0 and len(two) == 0
    assert one.get_or_compute("a", lambda: 3) == 3


def test_names_are_unique():
    taken = memo()
    with pytest.raises(ValueError, match="exists already"):
        VersionedMemo(taken.name)
    with pytest.raises(ValueError, match="keep"):
        memo(keep=0)


def test_the_sites_per_process_caches_are_all_memos():
    import importlib

    for module in ("mangaki.services.similar", "mangaki.services.tastemap",
                   "mangaki.services.search", "mangaki.views.cards",
                   "recommender.facade", "recommender.registry", "tagger.heads"):  # fmt: skip
        importlib.import_module(module)

    assert {
        "recommender.bundles",
        "recommender.failed_loads",
        "recommender.served_model",
        "mangaki.poster_index",
        "mangaki.tastemap_drawn",
        "mangaki.title_index",
        "mangaki.home_samples",
        "tagger.heads",
    } <= set(memos())
