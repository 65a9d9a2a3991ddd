"""The thread budget: cores // concurrency, one place, TAGGER_THREADS overrides it."""

import pytest

from tagger.vision import runtime


@pytest.fixture(autouse=True)
def _restore_budget(monkeypatch):
    monkeypatch.delenv("TAGGER_THREADS", raising=False)
    before = runtime._threads
    yield
    runtime._threads = before


@pytest.mark.parametrize(
    ("cores", "concurrency", "threads"), [(2, 1, 2), (2, 2, 1), (2, 4, 1), (8, 2, 4), (8, 3, 2)]
)
def test_each_process_gets_its_share_of_the_cores(cores, concurrency, threads):
    assert runtime.threads_per_process(concurrency, cores) == threads


def test_configure_sets_the_budget_torch_runs_on():
    assert runtime.configure(threads=1) == 1 and runtime.torch_threads() == 1
    assert runtime.configure(threads=3) == 3 and runtime.torch_threads() == 3


def test_the_environment_overrides_the_computed_budget(monkeypatch):
    monkeypatch.setenv("TAGGER_THREADS", "1")
    assert runtime.configure(concurrency=1) == 1
    monkeypatch.setenv("TAGGER_THREADS", "many")
    with pytest.raises(ValueError, match="TAGGER_THREADS"):
        runtime.configure()
    monkeypatch.setenv("TAGGER_THREADS", "0")
    with pytest.raises(ValueError, match=">= 1"):
        runtime.configure()


def test_the_worker_gives_each_process_its_share(monkeypatch):
    from mangaki.celery import _share_cores_between_processes

    class Worker:
        concurrency = 2
        pool_cls = "prefork"

    monkeypatch.setattr(runtime, "available_cores", lambda: 2)
    _share_cores_between_processes(sender=Worker())
    assert runtime.threads() == 1
    Worker.pool_cls = "solo"  # one process does everything
    _share_cores_between_processes(sender=Worker())
    assert runtime.threads() == 2
