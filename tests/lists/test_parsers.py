"""Reading MAL XML and AniList JSON exports, and refusing bad files clearly."""

import io
import json

import pytest

from mangaki.lists.parsers import MAX_BYTES, ListFormatError, parse_bytes, read_limited
from tests.lists.conftest import anilist_export, gz, mal_xml


def test_it_reads_a_mal_anime_export():
    data = mal_xml([(1, "Cowboy Bebop", 9, "Completed"), (5, "Mushishi", 0, "Plan to Watch")])
    source, entries = parse_bytes(data)
    assert source == "mal"
    assert [(e.kind, e.mal_id, e.title, e.status, e.score) for e in entries] == [
        ("anime", 1, "Cowboy Bebop", "completed", 9.0),
        ("anime", 5, "Mushishi", "planned", 0.0),
    ]


def test_it_reads_a_mal_manga_export_and_numeric_statuses():
    data = mal_xml([(2, "Monster", 10, "Reading"), (3, "Pluto", 4, "4")], kind="manga")
    _, entries = parse_bytes(data)
    assert [(e.kind, e.mal_id, e.status) for e in entries] == [
        ("manga", 2, "watching"),
        ("manga", 3, "dropped"),
    ]


def test_it_reads_gzipped_exports():
    data = mal_xml([(1, "Cowboy Bebop", 9, "Completed")])
    assert parse_bytes(read_limited(io.BytesIO(gz(data))))[1][0].mal_id == 1


@pytest.mark.parametrize("kind,n_scored", [("anime", 23), ("manga", 20)])
def test_it_reads_the_real_anilist_exports(kind, n_scored):
    source, entries = parse_bytes(anilist_export(kind))
    assert source == "anilist"
    assert len(entries) == 50
    assert all(e.kind == kind and e.anilist_id and e.status == "unknown" for e in entries)
    assert sum(e.score > 0 for e in entries) == n_scored
    first = entries[0]
    assert first.titles[0] == ("Clockwork Planet" if kind == "anime" else "Relife")


def test_it_brings_anilist_100_point_scores_to_ten():
    doc = {
        "data": {
            "Page": {
                "mediaList": [
                    {
                        "score": 85,
                        "status": "COMPLETED",
                        "media": {"id": 1, "title": {"romaji": "A"}},
                    },
                    {
                        "score": 40,
                        "status": "DROPPED",
                        "media": {"id": 2, "title": {"romaji": "B"}},
                    },
                ]
            }
        }
    }
    _, entries = parse_bytes(json.dumps(doc).encode())
    assert [(e.score, e.status) for e in entries] == [(8.5, "completed"), (4.0, "dropped")]


@pytest.mark.parametrize(
    "data,message",
    [
        (mal_xml([(1, "Cowboy Bebop", 9, "Completed")])[:-30], "damaged or truncated"),
        (b"<rss><anime/></rss>", "expected a <myanimelist> export, found <rss>"),
        (
            b"<myanimelist><anime><series_title>X</series_title></anime></myanimelist>",
            "entry 1 (anime) has no <series_animedb_id>",
        ),
        (b'{"data": {"Page": {"mediaList": [{"score": 3}]}}}', 'entry 1 has no "media" object'),
        (
            b'{"data": {"Page": {"mediaList": [{"score": 3, "media": {"title": {}}}]}}}',
            "entry 1 has no media.id",
        ),
        (
            b'{"data": {"Page": {"mediaList": [{"media": {"id": 4, "title": {}}}]}}}',
            "entry 1 has no score",
        ),
        (b'{"hello": 1}', 'top-level "data" object'),
        (b'{"data": {"Page": ', "damaged or truncated"),
        (b"anime_id,name\n1,x\n", "neither a MyAnimeList XML export nor an AniList JSON"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><myanimelist>&a;</myanimelist>', "forbidden"),
    ],
)
def test_it_refuses_bad_files_with_a_clear_message(data, message):
    with pytest.raises(ListFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_bytes(data)


def test_it_refuses_a_gzip_bomb():
    bomb = gz(b" " * (MAX_BYTES + 10))
    assert len(bomb) < 100_000
    with pytest.raises(ListFormatError, match="once decompressed"):
        read_limited(io.BytesIO(bomb))


def test_it_refuses_an_oversized_file_without_reading_it_all():
    class Endless(io.RawIOBase):
        read_total = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            Endless.read_total += len(buffer)
            buffer[:] = b"x" * len(buffer)
            return len(buffer)

    with pytest.raises(ListFormatError, match="larger than 20 MB"):
        read_limited(io.BufferedReader(Endless()))
    assert Endless.read_total < MAX_BYTES + 2**20
