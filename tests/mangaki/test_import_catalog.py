import io
from pathlib import Path

import pytest
from django.core.management import call_command

from benchmarks.shared_data import data_path, missing
from mangaki.catalog_import import detect_format, import_catalog
from mangaki.catalog_import.jsonstream import JSONStreamError, iter_array
from mangaki.models import Rating, Tag, TaggedWork, Work, WorkTitle

ROOT = Path(__file__).resolve().parents[2]
SHARED = data_path()
HEADER = "anime_id,name,genre,type,episodes,rating,members\n"


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_bad_csv_lines_are_reported_with_numbers_and_the_rest_imports(tmp_path):
    path = _write(
        tmp_path,
        "anime.csv",
        HEADER
        + '1,Cowboy Bebop,"Action, Sci-Fi",TV,26,8.82,486824\n'
        + "abc,No id,Action,TV,1,7,10\n"
        + "3,Too few fields\n"
        + '4,Gintama&#039;,"Comedy",TV,Unknown,9.1,1000\n'
        + "5,Bad episodes,Drama,TV,many,7.0,10\n"
        + "6,Hentai thing,Hentai,OVA,2,6.0,10\n",
    )
    report = import_catalog(path)
    assert [str(p) for p in report.problems] == [
        "line 3: anime_id 'abc' is not a positive integer",
        "line 4: expected 7 fields, found 2",
        "line 6: episodes 'many' is not a number",
    ]
    assert report.created == 3
    bebop = Work.objects.get(mal_id=1)
    assert bebop.title == "Cowboy Bebop" and bebop.episodes == 26 and bebop.work_type == "tv"
    assert bebop.external_members == 486824
    assert set(bebop.tagged.values_list("tag__name", flat=True)) == {"Action", "Sci-Fi"}
    assert Tag.objects.get(name="Action").is_genre
    gintama = Work.objects.get(mal_id=4)
    assert gintama.title == "Gintama'" and gintama.episodes is None
    assert Work.objects.get(mal_id=6).nsfw is True


@pytest.mark.django_db
def test_reimport_changes_nothing_and_updates_what_changed(tmp_path):
    path = _write(tmp_path, "a.csv", HEADER + '1,Cowboy Bebop,"Action, Sci-Fi",TV,26,8.82,486824\n')
    import_catalog(path)
    again = import_catalog(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert Work.objects.count() == 1 and TaggedWork.objects.count() == 2
    path.write_text(HEADER + '1,Cowboy Bebop,"Action, Space",TV,26,8.9,500000\n')
    changed = import_catalog(path)
    assert (changed.created, changed.updated) == (0, 1)
    work = Work.objects.get()
    assert work.external_score == 8.9
    # Tags are additive: another source may have added the ones this file lacks.
    assert set(work.tagged.values_list("tag__name", flat=True)) == {"Action", "Sci-Fi", "Space"}


@pytest.mark.django_db
def test_a_wrong_header_is_refused_without_writing(tmp_path):
    path = _write(tmp_path, "x.csv", "anime_id,name\n1,x\n")
    report = import_catalog(path, "kaggle")
    assert "expected the header" in str(report.problems[0])
    assert not Work.objects.exists()


@pytest.mark.django_db
def test_manami_entries_bring_ids_titles_and_tags(tmp_path):
    path = _write(
        tmp_path,
        "manami.json",
        '{"license": {"name": "ODbL"}, "data": [\n'
        '{"sources": ["https://myanimelist.net/anime/1535", "https://anilist.co/anime/1535",'
        ' "https://anidb.net/anime/4563"], "title": "Death Note", "type": "TV", "episodes": 37,'
        ' "animeSeason": {"season": "FALL", "year": 2006}, "picture": "https://cdn.example/dn.jpg",'
        ' "synonyms": ["DEATH NOTE", "Тетрадь смерти"], "tags": ["Psychological", "Thriller"]},\n'
        '{"sources": [], "type": "TV"},\n'
        '{"sources": ["https://myanimelist.net/anime/9"], "title": "Bad", "episodes": -3}\n'
        "]}",
    )
    report = import_catalog(path)
    assert report.created == 1
    assert [str(p) for p in report.problems] == [
        "line 3: the title is missing",
        "line 4: episodes -3 is not a non-negative integer",
    ]
    work = Work.objects.get()
    assert (work.mal_id, work.anilist_id, work.anidb_id, work.episodes) == (1535, 1535, 4563, 37)
    assert work.start_date.isoformat() == "2006-10-01"
    assert set(WorkTitle.objects.values_list("title", flat=True)) == {
        "DEATH NOTE",
        "Тетрадь смерти",
    }
    assert Work.objects.search("тетрадь").get() == work
    assert import_catalog(path).unchanged == 1


@pytest.mark.django_db
def test_truncated_json_is_reported_and_earlier_entries_kept(tmp_path):
    path = _write(tmp_path, "m.json", '{"data": [{"title": "One", "sources": []}, {"title": "Tw')
    report = import_catalog(path, "manami")
    assert report.created == 1
    assert "not a manami JSON document" in str(report.problems[-1])


def test_json_stream_reads_elements_across_small_chunks(monkeypatch):
    import mangaki.catalog_import.jsonstream as js

    monkeypatch.setattr(js, "_CHUNK", 5)
    doc = '{"meta": {"x": [1, 2]}, "data": [12345678,\n {"a": "b c"},\n "s"]}'
    assert list(iter_array(io.StringIO(doc), "data")) == [
        (1, 12345678),
        (2, {"a": "b c"}),
        (3, "s"),
    ]
    with pytest.raises(JSONStreamError, match="no 'data' array"):
        list(iter_array(io.StringIO('{"other": []}'), "data"))


def test_format_detection(tmp_path):
    assert detect_format(_write(tmp_path, "a", HEADER)) == "kaggle"
    assert detect_format(_write(tmp_path, "b", '{"data": []}')) == "manami"
    assert detect_format(_write(tmp_path, "c", "[]")) == "mangaki"
    with pytest.raises(ValueError, match="unknown catalogue format"):
        detect_format(_write(tmp_path, "d", "hello"))


_REAL_FILES = ("mangaki/seed_data.json", "mangaki/manami_format_sample_from_mangaki_tests.json")
_missing = next((m for f in _REAL_FILES if (m := missing(*f.split("/")))), None)
needs_shared = pytest.mark.skipif(_missing is not None, reason=_missing or "")


@needs_shared
@pytest.mark.slow
@pytest.mark.django_db
def test_the_three_real_formats_load_and_reimport_is_a_no_op(capsys):
    files = [
        ROOT / "data" / "anime.csv",
        SHARED / "mangaki" / "seed_data.json",
        SHARED / "mangaki" / "manami_format_sample_from_mangaki_tests.json",
    ]
    for path in files:
        call_command("import_catalog", str(path), "--no-progress")
        counts = Work.objects.count(), Rating.objects.count(), TaggedWork.objects.count()
        capsys.readouterr()
        call_command("import_catalog", str(path), "--no-progress")
        out = capsys.readouterr().out
        assert "0 created, 0 updated" in out and "ratings created" not in out, out
        assert (Work.objects.count(), Rating.objects.count(), TaggedWork.objects.count()) == counts
    assert Work.objects.filter(category__slug="anime", mal_id__isnull=False).count() == 12294
    assert Work.objects.get(mal_id=5114).title == "Fullmetal Alchemist: Brotherhood"
    assert Rating.objects.count() == 187
    # The fixture's "Death Note" joined the Kaggle entry instead of duplicating it.
    death_note = Work.objects.get(mal_id=1535)
    assert death_note.anidb_id == 4563 and death_note.nb_ratings > 0
