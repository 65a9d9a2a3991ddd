"""Everything we hold about a person, for them to take away.

- :func:`export_zip`: profile, ratings, duel answers, list imports and API token metadata
  (never the keys, nor their hashes or prefixes) as JSON, plus the ratings, duels and
  imports as CSV;
- :func:`export_mal_xml`: the ratings as a MyAnimeList-compatible XML file, which
  MyAnimeList, AniList and this site's own importer read back.

Example::

    data = export_zip(user)            # bytes of a zip archive
    xml = export_mal_xml(user, "anime")
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from xml.sax.saxutils import escape

from mangaki.models import ApiToken, Duel, ListImport, Rating

# Choice -> (MAL status, MAL score): reading it back with the default mapping gives the
# same choice except favorite (10 reads back as like unless a favorite threshold is set).
MAL_EXPORT = {
    "favorite": ("Completed", 10),
    "like": ("Completed", 8),
    "neutral": ("Completed", 6),
    "dislike": ("Completed", 3),
    "willsee": ("Plan to Watch", 0),
    "wontsee": ("Dropped", 0),
}


def _ratings(user) -> list[dict]:
    rows = (
        Rating.objects.filter(user=user)
        .order_by("date", "pk")
        .values_list(
            "work_id", "work__title", "work__category__slug", "work__mal_id", "choice", "date"
        )
    )
    return [
        {
            "work_id": w,
            "title": t,
            "category": c,
            "mal_id": m,
            "choice": ch,
            "date": d.isoformat(),
        }
        for w, t, c, m, ch, d in rows
    ]


def _duels(user) -> list[dict]:
    rows = (
        Duel.objects.filter(user=user)
        .order_by("date", "pk")
        .values_list("winner_id", "winner__title", "loser_id", "loser__title", "skipped", "date")
    )
    return [
        {"winner_id": w, "winner": wt, "loser_id": lo, "loser": lt, "skipped": s,
         "date": d.isoformat()}
        for w, wt, lo, lt, s, d in rows
    ]  # fmt: skip


def _csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def collect(user) -> dict:
    """All of ``user``'s data as JSON-ready dicts."""
    profile = user.profile
    imports = [
        {
            "source": i.source,
            "filename": i.filename,
            "status": i.status,
            "started_at": i.started_at.isoformat(),
            "finished_at": i.finished_at.isoformat() if i.finished_at else None,
            "entries": i.total,
            "created": i.created,
            "changed": i.changed,
            "unchanged": i.unchanged,
            "skipped": i.skipped,
            "unmatched": i.unmatched,
        }
        for i in ListImport.objects.filter(user=user).order_by("started_at", "pk")
    ]
    tokens = [
        {
            "name": t.name,
            "created": t.created.isoformat(),
            "last_used": t.last_used.isoformat() if t.last_used else None,
        }
        for t in ApiToken.objects.filter(user=user).order_by("created", "pk")
    ]
    return {
        "profile": {
            "username": user.username,
            "email": user.email,
            "date_joined": user.date_joined.isoformat(),
            "nsfw_ok": profile.nsfw_ok,
            "is_shared": profile.is_shared,
            "research_ok": profile.research_ok,
        },
        "ratings": _ratings(user),
        # A skip keeps the two works offered in winner / loser, with no preference.
        "duels": _duels(user),
        "imports": imports,
        "api_tokens": tokens,
    }


def export_zip(user) -> bytes:
    """A zip of ``mangaki.json`` (everything) and CSV files of ratings and imports."""
    data = collect(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mangaki.json", json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr(
            "ratings.csv",
            _csv(data["ratings"], ["work_id", "title", "category", "mal_id", "choice", "date"]),
        )
        archive.writestr(
            "duels.csv",
            _csv(data["duels"], ["winner_id", "winner", "loser_id", "loser", "skipped", "date"]),
        )
        archive.writestr(
            "imports.csv",
            _csv(data["imports"], list(data["imports"][0]) if data["imports"] else ["source"]),
        )
        archive.writestr(
            "api_tokens.csv", _csv(data["api_tokens"], ["name", "created", "last_used"])
        )
    return buffer.getvalue()


def export_mal_xml(user, category: str = "anime") -> tuple[str, int]:
    """(XML text, number of ratings left out because their work has no MAL id)."""
    tags = (
        ("series_animedb_id", "series_title")
        if category == "anime"
        else ("manga_mangadb_id", "manga_title")
    )
    rows = Rating.objects.filter(user=user, work__category__slug=category).order_by("work__title")
    rows = rows.values_list("work__mal_id", "work__title", "choice")
    lines = [
        '<?xml version="1.0" encoding="UTF-8" ?>',
        "<myanimelist>",
        f"  <myinfo><user_name>{escape(user.username)}</user_name>"
        f"<user_export_type>{1 if category == 'anime' else 2}</user_export_type></myinfo>",
    ]
    missing = 0
    for mal_id, title, choice in rows:
        if mal_id is None:
            missing += 1
            continue
        status, score = MAL_EXPORT[choice]
        if category != "anime":
            status = status.replace("Watch", "Read")
        lines.append(
            f"  <{category}><{tags[0]}>{mal_id}</{tags[0]}><{tags[1]}>{escape(title)}</{tags[1]}>"
            f"<my_score>{score}</my_score><my_status>{status}</my_status></{category}>"
        )
    lines.append("</myanimelist>")
    return "\n".join(lines) + "\n", missing
