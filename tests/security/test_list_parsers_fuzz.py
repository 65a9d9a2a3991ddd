"""Property-based fuzzing of the list parsers: whatever bytes arrive, the result is either
entries a database can store (ids in range, text without NUL or lone surrogates, scores on
the mapping's scale) or a ListFormatError with a message; never another exception."""

import json
import math
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mangaki.lists.parsers import (
    MAX_ID,
    STATUSES,
    Entry,
    ListFormatError,
    parse_bytes,
)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
# Any text, lone surrogates and NUL included (json.dumps escapes them as \udxxx, \u0000).
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False)
    | ANY_TEXT
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=12,
)
TITLES = st.dictionaries(
    st.sampled_from(["romaji", "english", "userPreferred", "native"]), ANY_TEXT | SCALARS
)
MEDIA = st.fixed_dictionaries(
    {"id": st.integers(min_value=-5, max_value=2**40) | ANY_JSON, "title": TITLES | ANY_JSON},
    optional={
        "idMal": st.integers(min_value=-5, max_value=2**40) | ANY_JSON,
        "synonyms": st.lists(ANY_TEXT | SCALARS, max_size=3) | ANY_JSON,
        "type": st.sampled_from(["ANIME", "MANGA"]) | ANY_JSON,
    },
)
ITEM = st.fixed_dictionaries(
    {"media": MEDIA | ANY_JSON},
    optional={
        "score": st.floats(min_value=-1, max_value=200) | ANY_JSON,
        "status": st.sampled_from(["COMPLETED", "CURRENT", "PLANNING", "DROPPED"]) | ANY_JSON,
    },
)
ITEMS = st.lists(ITEM | ANY_JSON, max_size=4)
DOCUMENTS = (
    st.builds(lambda items: {"data": {"Page": {"mediaList": items}}}, ITEMS)
    | st.builds(
        lambda lists: {"data": {"MediaListCollection": {"lists": lists}}},
        st.lists(st.fixed_dictionaries({"entries": ITEMS}) | ANY_JSON, max_size=3),
    )
    | st.lists(st.builds(lambda items: {"data": {"Page": {"mediaList": items}}}, ITEMS), max_size=2)
    | ANY_JSON
)


def _check(data: bytes) -> None:
    try:
        _source, entries = parse_bytes(data)
    except ListFormatError as error:
        assert str(error)
        return
    for entry in entries:
        assert entry.kind in ("anime", "manga")
        assert entry.status in STATUSES
        assert isinstance(entry.score, float) and math.isfinite(entry.score)
        assert 0 <= entry.score <= 10
        for value in (entry.mal_id, entry.anilist_id):
            assert value is None or (type(value) is int and 1 <= value <= MAX_ID)
        for title in entry.titles:
            assert title and "\x00" not in title
            title.encode("utf-8")  # no lone surrogate: PostgreSQL could not store it
        # What the import stores (a JSON column) reads back the same.
        stored = json.loads(json.dumps(entry.to_dict(), ensure_ascii=False))
        assert Entry.from_dict(stored) == entry


@FUZZ
@given(DOCUMENTS)
def test_anilist_shaped_documents_parse_or_are_refused(document):
    _check(json.dumps(document).encode())


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_are_refused(data):
    _check(data)


MAL_FIELD = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["anime", "manga"]),
            MAL_FIELD | st.integers(-5, 10**12).map(str),
            MAL_FIELD,
            MAL_FIELD | st.floats(allow_nan=True).map(str),
            st.sampled_from(["Completed", "Plan to Watch", "Dropped", "6"]) | MAL_FIELD,
        ),
        max_size=4,
    )
)
def test_myanimelist_exports_parse_or_are_refused(rows):
    body = ""
    for kind, identifier, title, score, status in rows:
        id_tag, title_tag = (
            ("series_animedb_id", "series_title")
            if kind == "anime"
            else ("manga_mangadb_id", "manga_title")
        )
        body += (
            f"<{kind}><{id_tag}>{escape(identifier)}</{id_tag}>"
            f"<{title_tag}>{escape(title)}</{title_tag}><my_score>{escape(score)}</my_score>"
            f"<my_status>{escape(status)}</my_status></{kind}>"
        )
    _check(f"<myanimelist>{body}</myanimelist>".encode("utf-8", "surrogatepass"))
