"""Manga in the catalogue: AniList media JSON and the manga CSV, beside the anime."""

import json

import pytest

from mangaki.catalog_import import detect_format, import_catalog
from mangaki.models import TaggedWork, Work, WorkTitle
from tests.lists.conftest import anilist_export

pytestmark = pytest.mark.django_db


def _media(**fields) -> dict:
    return {
        "id": 30001,
        "idMal": 1,
        "type": "MANGA",
        "format": "MANGA",
        "title": {"romaji": "Monster", "english": "Monster", "native": "モンスター"},
        "synonyms": ["Naoki Urasawa's Monster"],
        "genres": ["Drama", "Mystery"],
        "tags": [
            {"name": "Seinen", "rank": 90, "isMediaSpoiler": False},
            {"name": "Twist", "rank": 95, "isMediaSpoiler": True},
            {"name": "Doctors", "rank": 20, "isMediaSpoiler": False},
        ],  # fmt: skip
        "isAdult": False,
        "volumes": 18,
        "startDate": {"year": 1994, "month": 12, "day": 5},
        "description": "A surgeon <i>saves</i> a boy.<br>Years later...",
        "coverImage": {"large": "https://example.org/monster.jpg"},
        "averageScore": 89,
        "popularity": 120000,
        **fields,
    }


def _page(*media) -> dict:
    return {"data": {"Page": {"media": list(media)}}}


def test_anilist_manga_become_manga_works_with_their_details(tmp_path, anime):
    path = tmp_path / "manga.json"
    manhwa = _media(id=30002, idMal=None, title={"romaji": "Solo Leveling"},
                    countryOfOrigin="KR", synonyms=[], volumes=None)  # fmt: skip
    novel = _media(id=30003, idMal=None, format="NOVEL", title={"english": "Spice and Wolf"})
    show = _media(id=19, idMal=19, type="ANIME", format="TV", episodes=74,
                  title={"romaji": "Monster"})  # fmt: skip
    path.write_text(json.dumps(_page(_media(), manhwa, novel, show)), encoding="utf-8")
    assert detect_format(path) == "anilist"
    report = import_catalog(path)
    assert (report.created, report.problems) == (4, [])
    monster = Work.objects.get(category__slug="manga", anilist_id=30001)
    assert (monster.title, monster.work_type, monster.volumes, monster.mal_id) == (
        "Monster", "manga", 18, 1)  # fmt: skip
    assert monster.start_date.isoformat() == "1994-12-05"
    assert monster.synopsis == "A surgeon saves a boy.Years later..."
    assert (monster.external_score, monster.external_members) == (8.9, 120000)
    assert monster.poster_url == "https://example.org/monster.jpg"
    assert set(WorkTitle.objects.filter(work=monster).values_list("title", "language")) == {
        ("モンスター", "ja"), ("Naoki Urasawa's Monster", "")}  # fmt: skip
    tags = set(TaggedWork.objects.filter(work=monster).values_list("tag__name", flat=True))
    assert tags == {"Drama", "Mystery", "seinen"}  # spoilers and weak tags left out
    assert Work.objects.get(anilist_id=30002).work_type == "manhwa"
    assert Work.objects.get(anilist_id=30003).work_type == "light_novel"
    # The anime of the same name is another work, in its own category.
    anime_monster = Work.objects.get(category__slug="anime", anilist_id=19)
    assert (anime_monster.work_type, anime_monster.episodes) == ("tv", 74)
    assert import_catalog(path).unchanged == 4  # idempotent


def test_bad_anilist_entries_are_reported_and_the_others_import(tmp_path, anime):
    path = tmp_path / "pages.json"
    pages = [_page(_media(), {"id": "x"}), {"data": {"Viewer": {}}},
             _page(_media(id=30009, title={}))]  # fmt: skip
    path.write_text(json.dumps(pages), encoding="utf-8")
    report = import_catalog(path, "anilist")
    assert report.created == 1
    assert [str(p) for p in report.problems] == [
        "page 1 media 2: id 'x' is not an id",
        "page 2: expected data.Page.media, data.Page.mediaList or data.MediaListCollection",
        "page 3 media 1: the media has no title",
    ]


def test_the_real_anilist_manga_list_fills_the_manga_category(tmp_path, anime):
    path = tmp_path / "mangalist.json"
    path.write_bytes(anilist_export("manga"))
    assert detect_format(path) == "anilist"
    report = import_catalog(path)
    assert report.problems == []
    manga = Work.objects.filter(category__slug="manga")
    assert manga.count() == report.created == 50
    assert manga.filter(work_type="light_novel").count() == 3
    relife = manga.get(title="Relife")
    assert relife.start_date.year == 2013 and relife.anilist_id == 85849


def test_the_manga_csv_imports_with_any_subset_of_columns(tmp_path, anime):
    path = tmp_path / "manga.csv"
    path.write_text(
        "title,type,volumes,start_date,mal_id,genres,alt_titles,score,members,nsfw\n"
        'Monster,manga,18,1994-12,1,"Drama, Mystery",モンスター|Monstre,8.9,200000,0\n'
        "Solo Leveling,manhwa,,2018,,Action,,,,\n"
        "Bad,comic,,,,,,,,\n"
        "Worse,manga,,1994-13,,,,,,\n"
        ",manga,,,,,,,,\n",
        encoding="utf-8",
    )
    assert detect_format(path) == "manga-csv"
    report = import_catalog(path)
    assert report.created == 2
    assert [p.location for p in report.problems] == ["line 4", "line 5", "line 6"]
    assert "type 'comic'" in report.problems[0].message
    monster = Work.objects.get(category__slug="manga", mal_id=1)
    assert (monster.volumes, monster.start_date.isoformat(), monster.external_score) == (
        18, "1994-12-01", 8.9)  # fmt: skip
    assert set(monster.titles.values_list("title", flat=True)) == {"モンスター", "Monstre"}
    assert Work.objects.get(title="Solo Leveling").work_type == "manhwa"
    minimal = tmp_path / "titles.csv"
    minimal.write_text("title\nPluto\n", encoding="utf-8")
    assert import_catalog(minimal).created == 1
    assert Work.objects.get(title="Pluto").category.slug == "manga"


def test_a_manga_csv_with_an_unknown_column_is_refused(tmp_path, anime):
    path = tmp_path / "manga.csv"
    path.write_text("title,author\nMonster,Urasawa\n", encoding="utf-8")
    report = import_catalog(path, "manga-csv")
    assert report.created == 0 and "author" in str(report.problems[0])
