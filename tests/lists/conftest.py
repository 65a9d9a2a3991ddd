"""Helpers for list import tests: MAL XML builders and a tiny catalogue."""

import gzip

import pytest

from benchmarks.shared_data import data_path, missing


def anilist_export(kind: str) -> bytes:
    """A real AniList export (``kind`` anime or manga) from the shared data; skips without it."""
    name = f"mrsalixor_anilist_{kind}list.json"
    reason = missing("mangaki", name)
    if reason:
        pytest.skip(reason)
    return data_path("mangaki", name).read_bytes()


def mal_xml(entries, kind="anime") -> bytes:
    """A MyAnimeList export of (mal_id, title, score, status) tuples."""
    id_tag, title_tag = (
        ("series_animedb_id", "series_title")
        if kind == "anime"
        else ("manga_mangadb_id", "manga_title")
    )
    body = "".join(
        f"<{kind}><{id_tag}>{i}</{id_tag}><{title_tag}><![CDATA[{t}]]></{title_tag}>"
        f"<my_score>{s}</my_score><my_status>{st}</my_status></{kind}>"
        for i, t, s, st in entries
    )
    head = '<?xml version="1.0" encoding="UTF-8" ?>'
    return f"{head}<myanimelist><myinfo/>{body}</myanimelist>".encode()


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


@pytest.fixture
def works(anime):
    """Five anime with MAL ids 1..5 and one with an alternative title."""
    from mangaki.models import WorkTitle
    from tests.factories import WorkFactory

    made = [
        WorkFactory(title=t, mal_id=i)
        for i, t in enumerate(["Cowboy Bebop", "Trigun", "Monster", "Planetes", "Mushishi"], 1)
    ]
    WorkTitle.objects.create(work=made[2], title="モンスター", language="ja")
    return made
