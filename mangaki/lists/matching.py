"""Find the catalogue work of each list entry: by MAL or AniList id, then by title.

Titles are compared through ``normalize_title`` against works' main titles and their
alternative titles (WorkTitle). A title shared by several works is ambiguous and left
unmatched rather than guessed. A constant number of queries per kind, whatever the size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from mangaki.models import Work, WorkTitle
from mangaki.text import normalize_title

from .parsers import Entry

_CHUNK = 900  # under SQLite's bound-parameter limit


def _chunks(values: list):
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _by_id(kind: str, field: str, ids: set[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for chunk in _chunks(sorted(ids)):
        rows = Work.objects.filter(category__slug=kind, **{f"{field}__in": chunk})
        found.update(rows.values_list(field, "pk"))
    return found


def _by_title(kind: str, keys: set[str]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for chunk in _chunks(sorted(keys)):
        for key, pk in Work.objects.filter(category__slug=kind, search_key__in=chunk).values_list(
            "search_key", "pk"
        ):
            found[key].add(pk)
        for key, pk in WorkTitle.objects.filter(
            work__category__slug=kind, search_key__in=chunk
        ).values_list("search_key", "work_id"):
            found[key].add(pk)
    return found


#: Kinds whose unmatched entries may add a work to the catalogue (see :data:`NEW`).
CREATABLE = frozenset({"manga"})
#: How an unmatched entry of a :data:`CREATABLE` kind, with a MyAnimeList or AniList id
#: and a title, is matched: by a work the import will add. The manga category often starts
#: empty (no manga catalogue may ship with the site), so a member's manga list fills it;
#: the anime catalogue is imported whole, so an unknown anime stays unmatched.
NEW = "new"


def match_entries(entries: Sequence[Entry]) -> list[tuple[int | None, str]]:
    """(work id or None, how) for each entry, in order; how is "mal", "anilist", "title",
    "ambiguous", "new" (see :data:`NEW`) or "none"."""
    result: list[tuple[int | None, str]] = [(None, "none")] * len(entries)
    for kind in {e.kind for e in entries}:
        positions = [i for i, e in enumerate(entries) if e.kind == kind]
        mal = _by_id(kind, "mal_id", {entries[i].mal_id for i in positions if entries[i].mal_id})
        anilist = _by_id(
            kind, "anilist_id", {entries[i].anilist_id for i in positions if entries[i].anilist_id}
        )
        keys = {normalize_title(t) for i in positions for t in entries[i].titles} - {""}
        titles = _by_title(kind, keys)
        for i in positions:
            entry = entries[i]
            if entry.mal_id in mal:
                result[i] = (mal[entry.mal_id], "mal")
            elif entry.anilist_id in anilist:
                result[i] = (anilist[entry.anilist_id], "anilist")
            else:
                # The first title with a unique match wins (the main title comes first).
                candidates = [titles.get(normalize_title(t), set()) for t in entry.titles]
                unique = [c for c in candidates if len(c) == 1]
                if unique:
                    result[i] = (next(iter(unique[0])), "title")
                elif any(candidates):
                    result[i] = (None, "ambiguous")
                elif kind in CREATABLE and entry.title and (entry.mal_id or entry.anilist_id):
                    result[i] = (None, NEW)
    return result
