"""Read MyAnimeList XML exports and AniList JSON exports into plain entries.

Safe by construction: the upload is read with a byte limit (also after gzip
decompression, so a gzip bomb is refused), XML goes through defusedxml (no entities,
no external references), and any missing field is an error naming the entry. Whatever
the file holds, the result is entries of the declared types or a ListFormatError: JSON
nested thousands deep, a list where an object belongs, ids beyond the database's
integers, text with NUL characters or lone surrogates (which PostgreSQL cannot store)
and more than ``MAX_ENTRIES`` entries are all refused with a sentence saying where.

Example::

    >>> entries = parse_bytes(b"<myanimelist><anime><series_animedb_id>1</series_animedb_id>"
    ...     b"<series_title>Cowboy Bebop</series_title><my_score>9</my_score>"
    ...     b"<my_status>Completed</my_status></anime></myanimelist>")[1]
    >>> entries[0].mal_id, entries[0].status, entries[0].score
    (1, 'completed', 9.0)
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from dataclasses import asdict, dataclass
from typing import BinaryIO

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

MAX_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 30_000  # the largest real lists hold about 15,000; matching costs CPU per entry
MAX_ID = 2**31 - 1  # Work.mal_id and Work.anilist_id are 32-bit integers
MAX_TITLE = 500
STATUSES = ("completed", "watching", "on_hold", "dropped", "planned", "unknown")

_MAL_STATUS = {
    "completed": "completed",
    "watching": "watching",
    "reading": "watching",
    "on-hold": "on_hold",
    "on hold": "on_hold",
    "dropped": "dropped",
    "plan to watch": "planned",
    "plan to read": "planned",
    # Older exports use numbers.
    "1": "watching",
    "2": "completed",
    "3": "on_hold",
    "4": "dropped",
    "6": "planned",
}
_ANILIST_STATUS = {
    "CURRENT": "watching",
    "REPEATING": "watching",
    "COMPLETED": "completed",
    "PAUSED": "on_hold",
    "DROPPED": "dropped",
    "PLANNING": "planned",
}


class ListFormatError(ValueError):
    """The file cannot be imported; the message is meant for the person who sent it."""


@dataclass(frozen=True)
class Entry:
    kind: str  # "anime" or "manga"
    titles: tuple[str, ...]
    status: str  # one of STATUSES
    score: float  # 0 (unscored) to 10
    mal_id: int | None = None
    anilist_id: int | None = None

    @property
    def title(self) -> str:
        return self.titles[0] if self.titles else ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["titles"] = list(self.titles)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Entry:
        return cls(**{**data, "titles": tuple(data["titles"])})


def read_limited(handle: BinaryIO, limit: int = MAX_BYTES) -> bytes:
    """The upload's bytes, gunzipped when needed; refuses anything over ``limit`` bytes."""
    head = handle.read(limit + 1)
    if len(head) > limit:
        raise ListFormatError(f"the file is larger than {limit // (1024 * 1024)} MB")
    if head[:2] != b"\x1f\x8b":
        return head
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(head)) as unzipped:
            data = unzipped.read(limit + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise ListFormatError(f"the gzip file is damaged ({error})") from error
    if len(data) > limit:
        raise ListFormatError(
            f"the file is larger than {limit // (1024 * 1024)} MB once decompressed"
        )
    return data


def parse_bytes(data: bytes) -> tuple[str, list[Entry]]:
    """(source, entries) of a MAL XML or AniList JSON export; raises ListFormatError."""
    text = data.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        return "mal", parse_mal(text)
    if text.startswith((b"{", b"[")):
        return "anilist", parse_anilist(text)
    raise ListFormatError("this is neither a MyAnimeList XML export nor an AniList JSON export")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _int(value: str | None, what: str, index: int) -> int:
    text = (value or "").strip()
    if not text.isdigit() or len(text) > 10 or not 1 <= int(text) <= MAX_ID:
        raise ListFormatError(
            f"entry {index}: {what} must be a whole number from 1 to {MAX_ID}, not {_short(value)}"
        )
    return int(text)


def _id(value, what: str, index: int, required: bool) -> int | None:
    """A JSON id: an integer from 1 to MAX_ID (None when absent and not required)."""
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ListFormatError(
            f"entry {index}: {what} must be a whole number from 1 to {MAX_ID}, not {_short(value)}"
        )
    return value


def _text(value: str, what: str, index: int) -> str:
    """Text that a database can store: no NUL character, no lone surrogate."""
    if "\x00" in value:
        raise ListFormatError(f"entry {index}: {what} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ListFormatError(f"entry {index}: {what} is not valid Unicode text") from None
    return value.strip()[:MAX_TITLE]


def _score(value, index: int) -> float:
    if isinstance(value, list | dict):
        raise ListFormatError(f"entry {index}: the score {_short(value)} is not a number")
    try:
        score = float(value or 0)
    except (TypeError, ValueError, OverflowError):
        raise ListFormatError(f"entry {index}: the score {_short(value)} is not a number") from None
    if not 0 <= score <= 100:
        raise ListFormatError(f"entry {index}: the score {_short(value)} is out of range")
    return score


def parse_mal(data: bytes) -> list[Entry]:
    """Entries of a MyAnimeList export (anime and manga lists share the shape)."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ListFormatError(f"the XML file is damaged or truncated ({error})") from None
    except DefusedXmlException as error:
        raise ListFormatError(f"the XML file uses forbidden constructs ({error})") from None
    if root.tag != "myanimelist":
        raise ListFormatError(f"expected a <myanimelist> export, found <{root.tag}>")
    entries = []
    for index, node in enumerate(root, start=1):
        if node.tag not in ("anime", "manga"):
            continue
        prefix = ("series_animedb_id", "series_title")
        if node.tag == "manga":
            prefix = ("manga_mangadb_id", "manga_title")
        fields = {child.tag: (child.text or "").strip() for child in node}
        for name in (*prefix, "my_status"):
            if name not in fields:
                raise ListFormatError(f"entry {index} ({node.tag}) has no <{name}>")
        status = _MAL_STATUS.get(fields["my_status"].lower())
        if status is None:
            raise ListFormatError(f"entry {index}: unknown status {_short(fields['my_status'])}")
        score = _score(fields.get("my_score"), index)
        if score > 10:
            raise ListFormatError(f"entry {index}: MyAnimeList scores go from 0 to 10")
        title = _text(fields[prefix[1]], "the title", index)
        entries.append(
            Entry(
                kind=node.tag,
                titles=(title,) if title else (),
                status=status,
                score=score,
                mal_id=_int(fields[prefix[0]], prefix[0], index),
            )
        )
        if len(entries) > MAX_ENTRIES:
            raise ListFormatError(f"the list has more than {MAX_ENTRIES} entries")
    return entries


def _anilist_items(document, nested: bool = False) -> list:
    """The list entries of the export shapes we know (one page, or a full collection)."""
    if isinstance(document, list) and not nested:  # several pages saved together
        return [item for page in document for item in _anilist_items(page, nested=True)]
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise ListFormatError('expected an AniList export with a top-level "data" object')
    data = document["data"]
    if isinstance(data.get("Page"), dict) and isinstance(data["Page"].get("mediaList"), list):
        return data["Page"]["mediaList"]
    collection = data.get("MediaListCollection")
    if isinstance(collection, dict) and isinstance(collection.get("lists"), list):
        items = []
        for number, lst in enumerate(collection["lists"], start=1):
            entries = lst.get("entries") if isinstance(lst, dict) else None
            if not isinstance(entries, list):
                raise ListFormatError(f'list {number} of the collection has no "entries" list')
            items += entries
        return items
    raise ListFormatError("expected data.Page.mediaList or data.MediaListCollection.lists")


def parse_anilist(data: bytes) -> list[Entry]:
    """Entries of an AniList export (the GraphQL ``mediaList`` shape)."""
    try:
        document = json.loads(data)
    except RecursionError:
        raise ListFormatError(
            "the JSON file is nested too deeply to be an AniList export"
        ) from None
    except json.JSONDecodeError as error:
        raise ListFormatError(f"the JSON file is damaged or truncated ({error})") from None
    except UnicodeDecodeError:
        raise ListFormatError("the JSON file is not UTF-8 text") from None
    except ValueError:  # an integer of thousands of digits
        raise ListFormatError("the JSON file holds a number too long to be an id") from None
    items = _anilist_items(document)
    if len(items) > MAX_ENTRIES:
        raise ListFormatError(f"the list has more than {MAX_ENTRIES} entries")
    entries, scores = [], []
    for index, item in enumerate(items, start=1):
        media = item.get("media") if isinstance(item, dict) else None
        if not isinstance(media, dict):
            raise ListFormatError(f'entry {index} has no "media" object')
        if "id" not in media:
            raise ListFormatError(f"entry {index} has no media.id")
        anilist_id = _id(media["id"], "media.id", index, required=True)
        mal_id = media.get("idMal")
        # idMal is a hint for matching: one that cannot be an id is ignored.
        mal_id = mal_id if type(mal_id) is int and 1 <= mal_id <= MAX_ID else None
        if "score" not in item:
            raise ListFormatError(f"entry {index} has no score")
        title = media.get("title")
        if not isinstance(title, dict):
            raise ListFormatError(f"entry {index} has no media.title")
        synonyms = media.get("synonyms") or []
        if not isinstance(synonyms, list):
            raise ListFormatError(f"entry {index}: media.synonyms must be a list of titles")
        names = [title.get(k) for k in ("romaji", "english", "userPreferred", "native")]
        names += synonyms
        titles = tuple(
            dict.fromkeys(
                t for n in names if isinstance(n, str) and (t := _text(n, "a title", index))
            )
        )
        kind = "manga" if media.get("type") == "MANGA" else "anime"
        scores.append(_score(item["score"], index))
        status = item.get("status")
        entries.append(
            Entry(
                kind=kind,
                titles=titles,
                # A page export carries no status: the mapping decides from the score alone.
                status=_ANILIST_STATUS.get(status, "unknown")
                if isinstance(status, str)
                else "unknown",
                score=0.0,
                mal_id=mal_id,
                anilist_id=anilist_id,
            )
        )
    # POINT_100 lists score out of 100: bring them to the 0-10 scale of the mapping.
    scale = 10.0 if any(s > 10 for s in scores) else 1.0
    return [
        Entry(**{**e.to_dict(), "titles": e.titles, "score": s / scale})
        for e, s in zip(entries, scores, strict=True)
    ]
