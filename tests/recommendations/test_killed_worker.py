"""A worker killed in the middle of a training leaves the old model serving and the run
marked failed."""

import os
import signal
import time

import pytest
from django.conf import settings

from recommender import registry
from recommender.models import RunStatus, TrainingRun
from recommender.tasks import train_model
from recommender.training import train
from tests.processes import celery_worker
from tests.recommendations.conftest import FAST

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_worker,
    pytest.mark.skipif(
        not (settings.IS_POSTGRES and settings.REDIS_URL), reason="needs PostgreSQL and Redis"
    ),
]


@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_training_keeps_the_old_model(demo_site, tmp_path, settings):
    first = train("before", FAST)
    settings.TRAINING_STALE_SECONDS = 2
    with celery_worker(tmp_path, "training", TRAINING_STALE_SECONDS="2") as (worker, log):
        # Slow settings, so that there is a "middle" to kill the worker in.
        train_model.delay("doomed", {"n_iter": 200, "rank": 40})
        deadline = time.monotonic() + 90
        run = None
        while time.monotonic() < deadline:
            run = TrainingRun.objects.filter(triggered_by="doomed").first()
            if run is not None and run.progress >= 0.2:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the training never started: " + log.read_text()[-3000:])
        assert run.status == RunStatus.RUNNING
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    assert registry.active_version() == first.version  # still serving the old model
    time.sleep(2.5)
    assert registry.reap_stale_runs() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and not run.is_active
    assert TrainingRun.objects.get(pk=first.pk).is_active
    assert registry.active_bundle().version == first.version
