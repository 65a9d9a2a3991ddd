"""A 10,000-entry MAL list through a real Celery worker, with progress (PostgreSQL+Redis)."""

import io
import time

import pytest
from django.conf import settings

from mangaki.lists.mapping import Mapping
from mangaki.lists.service import confirm_import, create_import
from mangaki.models import ListImport, Rating, Work
from tests.factories import category
from tests.lists.conftest import mal_xml
from tests.processes import celery_worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_worker,
    pytest.mark.skipif(
        not (settings.IS_POSTGRES and settings.REDIS_URL), reason="needs PostgreSQL and Redis"
    ),
]
N = 10_000


@pytest.mark.django_db(transaction=True)
def test_a_10000_entry_list_imports_through_the_worker_with_progress(tmp_path, alice):
    anime = category("anime")
    Work.objects.bulk_create(
        [
            Work(title=f"Show {i}", search_key=f"show {i}", category=anime, mal_id=i)
            for i in range(1, N + 1)
        ],
        batch_size=2000,
    )
    statuses = ["Completed", "Dropped", "Plan to Watch", "Watching"]
    entries = [(i, f"Show {i}", i % 11, statuses[i % 4]) for i in range(1, N + 1)]
    entries.append((N + 5, "Unknown show", 8, "Completed"))
    imp = create_import(alice, "big.xml", io.BytesIO(mal_xml(entries)))
    seen = []
    with celery_worker(tmp_path, "default") as (_, log):
        confirm_import(imp, Mapping(), overwrite=False)  # autocommit: queued at once
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            row = ListImport.objects.defer("entries").get(pk=imp.pk)
            seen.append(row.progress)
            if row.is_finished:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the worker did not finish the import: " + log.read_text()[-3000:])
    assert row.status == "done", row.error
    assert seen == sorted(seen) and any(10 < p < 100 for p in seen), seen
    # Watching and unscored (i % 11 == 0) entries are skipped; the rest are created.
    skipped = sum(1 for i, _, score, st in entries[:N] if st == "Watching" and score == 0)
    assert (row.created, row.skipped, row.unmatched) == (N - skipped, skipped, 1)
    assert Rating.objects.filter(user=alice).count() == N - skipped
