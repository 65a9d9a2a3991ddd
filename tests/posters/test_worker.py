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
