"""Real posters through the whole path with a real Celery worker and Redis:
upload -> task on the tagging queue -> tags on the work."""

import time

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from mangaki.models import TaggedWork, Work
from tests.factories import WorkFactory
from tests.processes import celery_worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_worker,
    pytest.mark.skipif(
        not (settings.IS_POSTGRES and settings.REDIS_URL), reason="needs PostgreSQL and Redis"
    ),
]


@pytest.fixture
def worker(media, tmp_path):
    with celery_worker(tmp_path, "tagging") as (_, log):
        yield log


@pytest.mark.django_db(transaction=True)
def test_uploaded_posters_are_tagged_by_the_worker(worker, real_poster):
    from tests.posters.conftest import POSTERS

    files = [real_poster, POSTERS / "11061.jpg"]
    works = [WorkFactory(title=f"Poster {i}") for i in range(len(files))]
    bad = WorkFactory(title="Broken poster")
    for work, path in zip(works, files, strict=True):
        work.poster.save(path.name, ContentFile(path.read_bytes()))  # autocommit: task queued
    bad.poster.save("broken.jpg", ContentFile(b"definitely not a jpeg"))

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        statuses = set(Work.objects.values_list("poster_status", flat=True))
        if "pending" not in statuses:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the worker did not tag the posters: " + worker.read_text()[-3000:])
    for work in works:
        work.refresh_from_db()
        assert work.poster_status == "tagged", work.poster_error
        assert TaggedWork.objects.filter(work=work, source="poster").exists()
    bad.refresh_from_db()
    assert bad.poster_status == "error" and "image" in bad.poster_error.lower()


@pytest.mark.django_db(transaction=True)
def test_a_poster_that_kills_the_worker_is_set_aside_after_a_few_tries(
    media, tmp_path, real_poster
):
    import io

    from PIL import Image

    from tagger.service import MAX_ATTEMPTS

    marked = io.BytesIO()
    Image.new("RGB", (333, 333), (200, 120, 90)).save(marked, "PNG")
    with celery_worker(
        tmp_path,
        "tagging",
        pool="prefork",  # the pool's child dies, the worker lives and the task is redelivered
        extra_args=["--include", "tests.posters.crashing_worker"],
        TAGGER_THREADS="1",  # faces inline, in the process the test module patched
    ) as (_, log):
        killer = WorkFactory(title="Kills the worker")
        good = WorkFactory(title="Fine poster")
        killer.poster.save("killer.png", ContentFile(marked.getvalue()))  # task queued
        good.poster.save("good.jpg", ContentFile(real_poster.read_bytes()))
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            statuses = set(Work.objects.values_list("poster_status", flat=True))
            if "pending" not in statuses:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the posters stayed pending: " + log.read_text()[-3000:])
        text = log.read_text()
    killer.refresh_from_db()
    good.refresh_from_db()
    assert good.poster_status == "tagged", good.poster_error
    assert killer.poster_status == "error"
    assert f"stopped {MAX_ATTEMPTS} times" in killer.poster_error
    assert "/" not in killer.poster_error
    # The worker's child really died each time and the task came back, a bounded number of times.
    assert text.count("exited with 'signal 9 (SIGKILL)'") == MAX_ATTEMPTS, text[-3000:]
