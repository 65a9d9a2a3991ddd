"""Matching, the preview plan and the committed import."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mangaki.lists.mapping import Mapping
from mangaki.lists.parsers import Entry, ListFormatError
from mangaki.lists.service import build_plan, create_import, run_import
from mangaki.models import ListImport, Rating, Work
from tests.factories import RatingFactory, WorkFactory
from tests.lists.conftest import gz, mal_xml

LIST = [
    (1, "Cowboy Bebop", 9, "Completed"),  # like
    (2, "Trigun", 5, "Completed"),  # neutral
    (3, "Monster", 3, "Completed"),  # dislike
    (4, "Planetes", 0, "Plan to Watch"),  # willsee
    (5, "Mushishi", 8, "Dropped"),  # wontsee
    (99, "Not In The Catalogue", 8, "Completed"),  # unmatched
    (98, "Trigun", 0, "Watching"),  # matched by title, skipped (watching, unscored)
]


def _import(user, data: bytes, mapping=None, overwrite=False) -> ListImport:
    imp = create_import(user, "list.xml", io.BytesIO(data))
    imp.options = {"mapping": (mapping or Mapping()).to_dict(), "overwrite": overwrite}
    imp.status = ListImport.Status.QUEUED
    imp.save()
    return run_import(imp.pk)


def _choices(user) -> dict[str, str]:
    return dict(Rating.objects.filter(user=user).values_list("work__title", "choice"))


@pytest.mark.django_db
def test_it_matches_by_id_then_title_then_alternative_title(works):
    entries = [
        Entry("anime", ("Wrong Title",), "completed", 8, mal_id=1),
        Entry("anime", ("planetes!",), "completed", 8, mal_id=404),
        Entry("anime", ("モンスター",), "completed", 8),
        Entry("anime", ("Nothing",), "completed", 8),
        Entry("manga", ("Monster",), "completed", 8),  # a manga is not the anime
    ]
    from mangaki.lists.matching import match_entries

    got = match_entries(entries)
    assert got == [
        (works[0].pk, "mal"),
        (works[3].pk, "title"),
        (works[2].pk, "title"),
        (None, "none"),
        (None, "none"),
    ]


@pytest.mark.django_db
def test_a_title_shared_by_two_works_is_ambiguous_not_guessed(works):
    WorkFactory(title="Monster")
    from mangaki.lists.matching import match_entries

    assert match_entries([Entry("anime", ("Monster",), "completed", 8)]) == [(None, "ambiguous")]


@pytest.mark.django_db
def test_it_imports_with_the_default_mapping_and_lists_the_unmatched(
    alice, works, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        done = _import(alice, mal_xml(LIST))
    assert done.status == "done" and done.progress == 100
    assert _choices(alice) == {
        "Cowboy Bebop": "like",
        "Trigun": "neutral",
        "Monster": "dislike",
        "Planetes": "willsee",
        "Mushishi": "wontsee",
    }
    assert (done.created, done.changed, done.unchanged, done.skipped, done.unmatched) == (
        5,
        0,
        0,
        1,
        1,
    )
    assert done.options["unmatched"] == [["Not In The Catalogue", "anime", "none"]]
    # Counters follow (tasks run inline in tests).
    assert Work.objects.get(mal_id=1).nb_like == 1


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(alice, works):
    _import(alice, mal_xml(LIST))
    before = list(Rating.objects.filter(user=alice).values_list("work_id", "choice", "date"))
    again = _import(alice, mal_xml(LIST))
    assert (again.created, again.changed, again.unchanged) == (0, 0, 5)
    after = list(Rating.objects.filter(user=alice).values_list("work_id", "choice", "date"))
    assert after == before


@pytest.mark.django_db
def test_existing_ratings_are_kept_unless_the_user_asks(alice, works):
    RatingFactory(user=alice, work=works[0], choice="favorite")
    plan = build_plan(
        alice,
        create_import(alice, "x", io.BytesIO(mal_xml(LIST))).entries
        and [Entry("anime", ("Cowboy Bebop",), "completed", 9, mal_id=1)],
        Mapping(),
    )
    assert [r.action for r in plan.rows] == ["keep"]
    kept = _import(alice, mal_xml(LIST))
    assert _choices(alice)["Cowboy Bebop"] == "favorite" and kept.skipped == 2
    replaced = _import(alice, mal_xml(LIST), overwrite=True)
    assert _choices(alice)["Cowboy Bebop"] == "like" and replaced.changed == 1


@pytest.mark.django_db
def test_the_adjusted_mapping_is_what_gets_committed(alice, works):
    _import(alice, mal_xml(LIST), Mapping(favorite_min=9, neutral_min=3, dropped="skip"))
    got = _choices(alice)
    assert (got["Cowboy Bebop"], got["Monster"]) == ("favorite", "neutral")
    assert "Mushishi" not in got


@pytest.mark.django_db
def test_the_plan_writes_nothing(alice, works):
    imp = create_import(alice, "x", io.BytesIO(mal_xml(LIST)))
    from mangaki.lists.service import parsed_entries

    plan = build_plan(alice, parsed_entries(imp), Mapping())
    assert dict(plan.counts) == {"create": 5, "duplicate": 1, "unmatched": 1}
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_a_bad_file_creates_nothing(alice):
    with pytest.raises(ListFormatError):
        create_import(alice, "x", io.BytesIO(b"<myanimelist><anime>"))
    assert not ListImport.objects.exists()


# --- the pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_preview_confirm_and_progress_pages(
    client, alice, works, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    upload = SimpleUploadedFile("animelist.xml.gz", gz(mal_xml(LIST)))
    response = client.post(reverse("list-import-upload"), {"file": upload})
    imp = ListImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("list-import", args=[imp.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert b'<span data-count="create">5</span>' in page.content
    assert b'<span data-count="unmatched">1</span>' in page.content
    assert b"Not In The Catalogue" in page.content
    form = {
        "favorite_min": 9,
        "like_min": 7,
        "neutral_min": 5,
        "unscored": "neutral",
        "watching": "score",
        "on_hold": "score",
        "dropped": "wontsee",
        "planned": "skip",
    }
    updated = client.post(response.url, {**form, "update": "1"})
    assert b'<span data-count="create">4</span>' in updated.content  # Planetes now skipped
    assert not Rating.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {**form, "confirm": "1"})
    assert _choices(alice)["Cowboy Bebop"] == "favorite" and "Planetes" not in _choices(alice)
    status = client.get(reverse("list-import-status", args=[imp.pk])).json()
    assert status["status"] == "done" and status["progress"] == 100 and status["created"] == 4
    assert b"Not In The Catalogue" in client.get(response.url).content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,data,message,status",
    [
        ("list.xml", mal_xml(LIST)[:-40], b"damaged or truncated", 400),
        ("list.xml", b"<html><body/></html>", b"expected a &lt;myanimelist&gt; export", 400),
        (
            "list.json",
            b'{"data": {"Page": {"mediaList": [{"score": 1}]}}}',
            b"has no &quot;media",
            400,
        ),
        # Refused from its size alone, before the upload is received (413, not 400).
        ("big.xml", b"<" + b" " * (50 * 2**20), b"The request is larger than 21 MB", 413),
    ],
)
def test_bad_uploads_get_a_clear_message_and_write_nothing(
    client, alice, works, name, data, message, status
):
    client.force_login(alice)
    response = client.post(reverse("list-import-upload"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == status
    assert message in response.content
    assert not ListImport.objects.exists() and not Rating.objects.exists()


@pytest.mark.django_db
def test_someone_elses_import_is_a_404(client, alice, bob, works):
    imp = create_import(alice, "x", io.BytesIO(mal_xml(LIST)))
    client.force_login(bob)
    assert client.get(reverse("list-import", args=[imp.pk])).status_code == 404
    assert client.get(reverse("list-import-status", args=[imp.pk])).status_code == 404
