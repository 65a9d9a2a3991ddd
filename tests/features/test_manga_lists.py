"""Manga list imports (MyAnimeList XML, AniList JSON) match the manga catalogue and add
the manga it lacks."""

import io

import pytest

from mangaki.lists.mapping import Mapping
from mangaki.lists.parsers import Entry
from mangaki.lists.service import build_plan, create_import, parsed_entries, run_import
from mangaki.models import ListImport, Rating, Work, WorkTitle
from tests.factories import WorkFactory, category
from tests.lists.conftest import anilist_export, mal_xml

pytestmark = pytest.mark.django_db


def _import(user, data: bytes) -> ListImport:
    imp = create_import(user, "list", io.BytesIO(data))
    imp.options = {"mapping": Mapping().to_dict(), "overwrite": False}
    imp.status = ListImport.Status.QUEUED
    imp.save()
    return run_import(imp.pk)


def _manga(**fields) -> Work:
    return WorkFactory(category=category("manga"), work_type="manga", **fields)


def test_a_mal_manga_list_matches_manga_and_adds_the_missing_ones(alice, anime):
    monster = _manga(title="Monster", mal_id=1)
    WorkFactory(title="Pluto", mal_id=30)  # the anime: never a manga list's match
    data = mal_xml(
        [(1, "Monster", 9, "Completed"), (30, "Pluto", 8, "Reading"),
         (642, "Vagabond", 4, "Completed"), (77, "Unscored", 0, "Reading"),
         (642, "Vagabond", 6, "Completed")],  # listed twice: the last one wins
        kind="manga",
    )  # fmt: skip
    preview = create_import(alice, "l.xml", io.BytesIO(data))
    plan = build_plan(alice, parsed_entries(preview), Mapping())
    assert [(r.entry.title, r.how, r.action) for r in plan.rows] == [
        ("Monster", "mal", "create"),
        ("Pluto", "new", "create"),
        ("Vagabond", "new", "duplicate"),
        ("Unscored", "none", "unmatched"),  # nothing to rate: not added
        ("Vagabond", "new", "create"),
    ]
    assert not Work.objects.filter(title="Vagabond").exists()  # a preview writes nothing
    done = _import(alice, data)
    assert (done.status, done.created, done.unmatched) == ("done", 3, 1)
    assert done.options["works_added"] == 2
    ratings = dict(
        Rating.objects.filter(user=alice).values_list("work__title", "work__category__slug")
    )
    assert ratings == {"Monster": "manga", "Pluto": "manga", "Vagabond": "manga"}
    assert Rating.objects.get(user=alice, work=monster).choice == "like"
    vagabond = Work.objects.get(title="Vagabond")
    assert (vagabond.category.slug, vagabond.mal_id) == ("manga", 642)
    assert Rating.objects.get(user=alice, work=vagabond).choice == "neutral"
    # Another person's list finds the added works: no duplicate.
    again = _import(alice.__class__.objects.create(username="erin"), data)
    assert again.options["works_added"] == 0 and again.created == 3
    assert Work.objects.filter(title="Vagabond").count() == 1


def test_anime_lists_never_add_works(alice, anime):
    done = _import(alice, mal_xml([(5114, "Not Here", 9, "Completed")]))
    assert (done.created, done.unmatched, done.options["works_added"]) == (0, 1, 0)
    assert not Work.objects.exists()


def test_an_ambiguous_manga_title_is_not_guessed_nor_duplicated(alice, anime):
    _manga(title="Twins")
    _manga(title="Twins ")  # the same key after normalisation
    entries = [Entry("manga", ("Twins",), "completed", 8, anilist_id=5)]
    plan = build_plan(alice, entries, Mapping())
    assert [(r.how, r.action) for r in plan.rows] == [("ambiguous", "unmatched")]


def test_the_real_anilist_manga_list_adds_works_with_all_their_titles(alice, anime, tmp_path):
    done = _import(alice, anilist_export("manga"))
    assert done.status == "done" and done.options["works_added"] == done.created == 20
    relife = Work.objects.get(category__slug="manga", anilist_id=85849)
    assert relife.title == "Relife"
    assert set(WorkTitle.objects.filter(work=relife).values_list("title", flat=True)) >= {
        "リライフ", "Re LIFE"}  # fmt: skip
    # A catalogue import of the same AniList data later enriches the same works by id.
    from mangaki.catalog_import import import_catalog

    path = tmp_path / "manga.json"
    path.write_bytes(anilist_export("manga"))
    report = import_catalog(path)
    assert report.created == 30 and report.updated == 20
    relife.refresh_from_db()
    assert relife.start_date.year == 2013 and relife.work_type == "manga"
