"""HTML pages and their scripts' endpoints are rate-capped per person (or address when
signed out) with the same limiter as the API; long list previews are bounded, and a person
runs one import at a time."""

import io
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mangaki.lists.mapping import Mapping
from mangaki.lists.parsers import MAX_ENTRIES
from mangaki.lists.service import ImportBusy, confirm_import, create_import
from mangaki.models import ListImport, Rating
from tests.factories import WorkFactory
from tests.lists.conftest import mal_xml
from tests.security.conftest import status_counts

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def shelf(anime):
    return [WorkFactory(title=f"Card {i}", nb_ratings=100 - i) for i in range(3)]


def test_deck_posts_are_capped_per_visitor(client, shelf):
    statuses = [
        client.post(
            "/deck/anime/rate/", {"work": shelf[i % 3].pk, "choice": "like"}, **JSON
        ).status_code
        for i in range(70)
    ]
    assert statuses[:60] == [200] * 60
    assert set(statuses[60:]) == {429}
    refused = client.post("/deck/anime/rate/", {"work": shelf[0].pk, "choice": "like"}, **JSON)
    assert refused.json()["error"]["code"] == "throttled" and int(refused["Retry-After"]) > 0


def test_a_member_rating_fast_queues_no_more_than_the_cap(
    client, alice, shelf, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with (
        mock.patch("mangaki.tasks.counters.recompute_work_counters.delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        statuses = [
            client.post(
                "/deck/anime/rate/", {"work": shelf[0].pk, "choice": "like"}, **JSON
            ).status_code
            for _ in range(80)
        ]
    assert status_counts(statuses) == {200: 60, 429: 20}
    assert queued.call_count == 60  # one recount task per accepted rating, none beyond
    assert Rating.objects.filter(user=alice).count() == 1


def test_search_suggestions_are_capped_per_address(client, shelf):
    statuses = [client.get("/search/suggest/?q=card").status_code for _ in range(125)]
    assert statuses[:120] == [200] * 120
    assert set(statuses[120:]) == {429}
    # Another address is not affected.
    assert client.get("/search/suggest/?q=card", REMOTE_ADDR="198.51.100.3").status_code == 200


def test_sign_ups_are_capped_per_address(client, db):
    for i in range(10):
        client.post(
            "/accounts/signup/",
            {
                "username": f"bot{i}",
                "password1": "s3cret-Pass-word",
                "password2": "s3cret-Pass-word",
            },
        )
        client.post("/accounts/logout/")
    response = client.post(
        "/accounts/signup/",
        {"username": "bot10", "password1": "s3cret-Pass-word", "password2": "s3cret-Pass-word"},
    )
    assert response.status_code == 429


def test_import_previews_are_capped_per_person(client, alice, shelf):
    imp = create_import(alice, "l.xml", io.BytesIO(mal_xml([(1, "Card 0", 8, "Completed")])))
    client.force_login(alice)
    statuses = [client.get(f"/account/import/{imp.pk}/").status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert set(statuses[10:]) == {429}
    # The progress of a confirmed import is not a preview: it stays reachable.
    imp.status = ListImport.Status.RUNNING
    imp.save()
    assert client.get(f"/account/import/{imp.pk}/").status_code == 200


def test_a_list_longer_than_the_bound_is_refused(client, alice):
    entries = [(i + 1, f"T{i}", 8, "Completed") for i in range(MAX_ENTRIES + 1)]
    client.force_login(alice)
    response = client.post(
        "/account/import/", {"file": SimpleUploadedFile("l.xml", mal_xml(entries))}
    )
    assert response.status_code == 400
    assert f"more than {MAX_ENTRIES} entries" in response.content.decode()


def test_one_import_at_a_time_per_person(client, alice, shelf, django_capture_on_commit_callbacks):
    first = create_import(alice, "a.xml", io.BytesIO(mal_xml([(1, "Card 0", 8, "Completed")])))
    second = create_import(alice, "b.xml", io.BytesIO(mal_xml([(2, "Card 1", 8, "Completed")])))
    # The first is confirmed but the worker has not run it yet.
    with django_capture_on_commit_callbacks(execute=False):
        confirm_import(first, Mapping(), overwrite=False)
    with pytest.raises(ImportBusy):
        confirm_import(second, Mapping(), overwrite=False)
    client.force_login(alice)
    page = client.post(f"/account/import/{second.pk}/", {**_mapping_form(), "confirm": "1"})
    assert page.status_code == 409 and "Another import of yours is running" in page.content.decode()
    assert ListImport.objects.get(pk=second.pk).status == ListImport.Status.PREVIEW
    ListImport.objects.filter(pk=first.pk).update(status=ListImport.Status.DONE)
    assert (
        client.post(
            f"/account/import/{second.pk}/", {**_mapping_form(), "confirm": "1"}
        ).status_code
        == 302
    )


def _mapping_form() -> dict:
    m = Mapping()
    return {
        "favorite_min": m.favorite_min,
        "like_min": m.like_min,
        "neutral_min": m.neutral_min,
        "unscored": m.unscored,
        "watching": m.watching,
        "on_hold": m.on_hold,
        "dropped": m.dropped,
        "planned": m.planned,
    }
