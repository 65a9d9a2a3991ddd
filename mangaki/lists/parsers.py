"""Read MyAnimeList XML exports and AniList JSON exports into plain entries.

Safe by construction: the upload is read with a byte limit (also after gzip
decompression, so a gzip bomb is refused), XML goes through defusedxml (no entities,
no external references), and any missing field is an error naming the entry.

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


def _int(value: str | None, what: str, index: int) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise ListFormatError(f"entry {index}: {what} must be a number, not {value!r}") from None


def _score(value, index: int) -> float:
    try:
        score = float(value or 0)
    except (TypeError, ValueError):
        raise ListFormatError(f"entry {index}: the score {value!r} is not a number") from None
    if not 0 <= score <= 100:
        raise ListFormatError(f"entry {index}: the score {value!r} is out of range")
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
            raise ListFormatError(f"entry {index}: unknown status {fields['my_status']!r}")
        score = _score(fields.get("my_score"), index)
        if score > 10:
            raise ListFormatError(f"entry {index}: MyAnimeList scores go from 0 to 10")
        entries.append(
            Entry(
                kind=node.tag,
                titles=(fields[prefix[1]],) if fields[prefix[1]] else (),
                status=status,
                score=score,
                mal_id=_int(fields[prefix[0]], prefix[0], index),
            )
        )
        if len(entries) > MAX_ENTRIES:
            raise ListFormatError(f"the list has more than {MAX_ENTRIES} entries")
    return entries


def _anilist_items(document) -> list:
    """The list entries of the export shapes we know (one page, or a full collection)."""
    if isinstance(document, list):  # several pages saved together
        return [item for page in document for item in _anilist_items(page)]
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise ListFormatError('expected an AniList export with a top-level "data" object')
    data = document["data"]
    if isinstance(data.get("Page"), dict) and isinstance(data["Page"].get("mediaList"), list):
        return data["Page"]["mediaList"]
    collection = data.get("MediaListCollection")
    if isinstance(collection, dict) and isinstance(collection.get("lists"), list):
        return [e for lst in collection["lists"] for e in (lst.get("entries") or [])]
    raise ListFormatError("expected data.Page.mediaList or data.MediaListCollection.lists")


def parse_anilist(data: bytes) -> list[Entry]:
    """Entries of an AniList export (the GraphQL ``mediaList`` shape)."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ListFormatError(f"the JSON file is damaged or truncated ({error})") from None
    items = _anilist_items(document)
    if len(items) > MAX_ENTRIES:
        raise ListFormatError(f"the list has more than {MAX_ENTRIES} entries")
    entries, scores = [], []
    for index, item in enumerate(items, start=1):
        media = item.get("media") if isinstance(item, dict) else None
        if not isinstance(media, dict):
            raise ListFormatError(f'entry {index} has no "media" object')
        if not isinstance(media.get("id"), int):
            raise ListFormatError(f"entry {index} has no media.id")
        if "score" not in item:
            raise ListFormatError(f"entry {index} has no score")
        title = media.get("title")
        if not isinstance(title, dict):
            raise ListFormatError(f"entry {index} has no media.title")
        names = [title.get(k) for k in ("romaji", "english", "userPreferred", "native")]
        names += list(media.get("synonyms") or [])
        titles = tuple(dict.fromkeys(n.strip() for n in names if isinstance(n, str) and n))
        kind = "manga" if media.get("type") == "MANGA" else "anime"
        scores.append(_score(item["score"], index))
        mal_id = media.get("idMal")
        entries.append(
            Entry(
                kind=kind,
                titles=titles,
                # A page export carries no status: the mapping decides from the score alone.
                status=_ANILIST_STATUS.get(item.get("status") or "", "unknown"),
                score=0.0,
                mal_id=mal_id if isinstance(mal_id, int) else None,
                anilist_id=media["id"],
            )
        )
    # POINT_100 lists score out of 100: bring them to the 0-10 scale of the mapping.
    scale = 10.0 if any(s > 10 for s in scores) else 1.0
    return [
        Entry(**{**e.to_dict(), "titles": e.titles, "score": s / scale})
        for e, s in zip(entries, scores, strict=True)
    ]
