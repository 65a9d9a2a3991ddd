"""Title search: exact kinds of match in SQL, typos and word order forgiven by rapidfuzz.

A work ranks by its best-matching title (main or alternative). The kinds of match, best
first: exact title, title prefix, word prefix, substring (SQL ``LIKE`` on the normalised
``search_key``, indexed by trigrams on PostgreSQL), then a fuzzy match found in this
process's :class:`TitleIndex`: every query word is compared with the words of each title
(``rapidfuzz``'s normalised Indel similarity), so "naruo", "Naruto shipuuden" and
"code geass r2" find "Naruto", "Naruto: Shippuuden" and "Code Geass: Hangyaku no Lelouch
R2". The same index serves SQLite and PostgreSQL, so both give the same results.

The index is built once per catalogue version (see :func:`catalogue_stamp`) and kept in
the process: about 40 ms for 10,000 works, then a few milliseconds per query
(docs/site.md, "Search").

Example::

    search_works(Work.objects.all(), "code geass r2")[:8]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import connections, models
from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    Value,
    When,
)
from django.utils.translation import gettext
from rapidfuzz import fuzz, process

from mangaki.memo import VersionedMemo
from mangaki.text import normalize_title

# The kinds of match, best first (a work ranks by its best-matching title).
MATCH_EXACT, MATCH_PREFIX, MATCH_WORD, MATCH_SUBSTRING, MATCH_FUZZY, MATCH_NONE = range(6)
SEARCH_MAX_LENGTH = 100
SUBSTRING_MIN_LENGTH = 3
FUZZY_MIN_LENGTH = 4
#: A query word counts as found in a title when one of the title's words is at least this
#: similar (0..100): one typo in a word of five letters or more ("naruo" ~ "naruto": 91;
#: "shipuuden" ~ "shippuuden": 95), never in a word of three ("one" ~ "ona": 67).
WORD_MIN_SIMILARITY = 75.0
#: A title matches when its words match the query's words this well on average (0..1).
FUZZY_MIN_SCORE = 0.8
#: Fuzzy matches kept per query, best first (the results page shows a few pages at most).
FUZZY_LIMIT = 100
#: Exact kinds of match kept per query (a substring such as "the" matches thousands).
SEARCH_LIMIT = 1000
#: The last word of a query may be unfinished ("code geass lel"): it is also compared with
#: the beginning of each title word, at this discount.
PREFIX_DISCOUNT = 0.95
PREFIX_MIN_LENGTH = 3


@dataclass(frozen=True)
class Match:
    """A work found by :meth:`TitleIndex.search`: its best kind of match (``MATCH_*``),
    the fuzzy score and closeness rank (fuzzy matches only) and the alternative title that
    matched, when one matched better than the main title."""

    work_id: int
    kind: int
    score: float
    closeness: int
    alternative: str | None


@dataclass(frozen=True)
class FuzzyMatch:
    """A work found by :meth:`TitleIndex.fuzzy`: its id, score (0..1, best 1; works of
    equal score are told apart by popularity, then by ``closeness``), the rank of its
    whole title's similarity to the query, and the alternative title that matched (None
    when the main title matched best)."""

    work_id: int
    score: float
    closeness: int
    alternative: str | None


class TitleIndex:
    """Every title of the catalogue, normalised and split into words, as a sparse
    titles-by-words incidence over the catalogue's vocabulary.

    Example::

        >>> index = TitleIndex([(1, "Naruto", None), (2, "Naruto: Shippuuden", None),
        ...                     (3, "Shingeki no Kyojin", None),
        ...                     (3, "Attack on Titan", "Attack on Titan")])
        >>> [m.work_id for m in index.fuzzy("naruto shipuuden")]
        [2]
        >>> index.fuzzy("atack on titan")[0].alternative
        'Attack on Titan'
    """

    def __init__(self, titles, popularity: dict[int, int] | None = None) -> None:
        """``titles``: ``(work id, title, alternative title or None)`` rows; the title is
        what is matched, the alternative is what the result says matched. ``popularity``
        (work id -> a number) decides which exact matches are kept past the limit."""
        self.popularity = popularity or {}
        rows = [(int(w), normalize_title(t), alt) for w, t, alt in titles]
        rows = [row for row in rows if row[1]]
        self.work_ids = np.array([w for w, _, _ in rows], dtype=np.int64)
        self.keys = [key for _, key, _ in rows]
        self.alternatives = [alt for _, _, alt in rows]
        vocabulary: dict[str, int] = {}
        indptr, indices = [0], []
        for key in self.keys:
            words = {vocabulary.setdefault(word, len(vocabulary)) for word in key.split()}
            indices.extend(sorted(words))
            indptr.append(len(indices))
        self.words = list(vocabulary)
        self.indptr = np.array(indptr, dtype=np.int64)
        self.indices = np.array(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.keys)

    @staticmethod
    def kind_of(key: str, title_key: str, inside: bool) -> int:
        """How well one normalised title matches the normalised query ``key``."""
        if title_key == key:
            return MATCH_EXACT
        if title_key.startswith(key):
            return MATCH_PREFIX
        if f" {key}" in title_key:
            return MATCH_WORD
        if inside and key in title_key:
            return MATCH_SUBSTRING
        return MATCH_NONE

    def search(self, key: str, limit: int = SEARCH_LIMIT) -> list[Match]:
        """Every work matching the normalised query ``key``, by its best title: the exact
        kinds first (kind, then the popularity known when the index was built, which only
        decides which works are kept past ``limit``), then the fuzzy matches.

        Example::

            >>> index = TitleIndex([(1, "Titan", None), (2, "Kotitans", None),
            ...                     (3, "Shingeki no Kyojin", None),
            ...                     (3, "Attack on Titan", "Attack on Titan")])
            >>> [(m.work_id, m.kind, m.alternative) for m in index.search("titan")]
            [(1, 0, None), (3, 2, 'Attack on Titan'), (2, 3, None)]
        """
        # One or two letters inside a word match most of the catalogue: words must start
        # with them.
        inside = len(key) >= SUBSTRING_MIN_LENGTH
        word = f" {key}"
        if inside:
            hits = [i for i, title_key in enumerate(self.keys) if key in title_key]
        else:
            hits = [i for i, k in enumerate(self.keys) if k.startswith(key) or word in k]
        best: dict[int, tuple[int, str | None]] = {}  # work id -> (kind, alternative)
        main_kind: dict[int, int] = {}
        for i in hits:
            kind = self.kind_of(key, self.keys[i], inside)
            work_id = int(self.work_ids[i])
            alternative = self.alternatives[i]
            if alternative is None:
                main_kind[work_id] = min(kind, main_kind.get(work_id, MATCH_NONE))
            if kind < best.get(work_id, (MATCH_NONE, None))[0]:
                best[work_id] = (kind, alternative)
        exact = [
            Match(w, kind, 1.0, 0, alt if kind < main_kind.get(w, MATCH_NONE) else None)
            for w, (kind, alt) in best.items()
        ]
        exact.sort(key=lambda m: (m.kind, -self.popularity.get(m.work_id, 0), m.work_id))
        found = exact[:limit]
        for m in self.fuzzy(key):
            if m.work_id not in best:
                found.append(Match(m.work_id, MATCH_FUZZY, m.score, m.closeness, m.alternative))
        return found

    def fuzzy(self, query: str, limit: int = FUZZY_LIMIT) -> list[FuzzyMatch]:
        """The works whose best title matches ``query`` fuzzily, best score first: the
        mean over the query's words of their best similarity to a word of the title (words
        below ``WORD_MIN_SIMILARITY`` count 0), rounded to two decimals; then the
        similarity of the whole strings, which puts "Naruto" before "Naruto: Shippuuden"
        for "naruo" when nothing else tells them apart."""
        key = normalize_title(query)
        words = key.split()
        if len(key) < FUZZY_MIN_LENGTH or not words or not self.keys:
            return []
        # Similarity of each query word to each word of the vocabulary: one C++ call.
        similar = process.cdist(words, self.words, scorer=fuzz.ratio, dtype=np.float32)
        last = words[-1]
        if len(last) >= PREFIX_MIN_LENGTH:
            heads = [word[: len(last)] for word in self.words]
            begun = process.cdist([last], heads, scorer=fuzz.ratio, dtype=np.float32)[0]
            similar[-1] = np.maximum(similar[-1], begun * PREFIX_DISCOUNT)
        similar[similar < WORD_MIN_SIMILARITY] = 0.0
        total = np.zeros(len(self.keys), dtype=np.float32)
        for row in similar:
            # Each title's best word for this query word (every title has a word).
            total += np.maximum.reduceat(row[self.indices], self.indptr[:-1])
        score = total / (100.0 * len(words))
        candidates = np.flatnonzero(score >= FUZZY_MIN_SCORE)
        if len(candidates) == 0:
            return []
        whole = process.cdist(
            [key], [self.keys[i] for i in candidates], scorer=fuzz.ratio, dtype=np.float32
        )[0]
        # Best title of each work first: by score, then whole-string similarity.
        rounded = np.round(score[candidates], 2)
        order = np.lexsort((-whole, -rounded))
        found: dict[int, FuzzyMatch] = {}
        for closeness, k in enumerate(order):
            i = int(candidates[k])
            work_id = int(self.work_ids[i])
            if work_id not in found:
                found[work_id] = FuzzyMatch(
                    work_id, float(rounded[k]), closeness, self.alternatives[i]
                )
                if len(found) == limit:
                    break
        return list(found.values())


# One index per database alias and catalogue stamp (the current one of each alias).
_indexes: VersionedMemo[TitleIndex] = VersionedMemo("mangaki.title_index", keep=4)


def catalogue_stamp(using: str) -> tuple:
    """What identifies a version of the catalogue's titles: the number of works and of
    alternative titles and their latest change, in one query (about a millisecond on
    10,000 works). A work renamed, added or deleted, or a title added or deleted, gives
    a new stamp."""
    from mangaki.models import Work, WorkTitle

    connection = connections[using]
    quote = connection.ops.quote_name
    works, titles = quote(Work._meta.db_table), quote(WorkTitle._meta.db_table)
    updated = quote(Work._meta.get_field("updated_at").column)
    title_pk = quote(WorkTitle._meta.pk.column)
    with connection.cursor() as cursor:
        # Table and column names from the models, quoted: no input reaches this text.
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {works}), (SELECT MAX({updated}) FROM {works}), "  # noqa: S608
            f"(SELECT COUNT(*) FROM {titles}), (SELECT MAX({title_pk}) FROM {titles})"
        )
        return tuple(cursor.fetchone())


def title_index(using: str = "default") -> TitleIndex:
    """This process's index of the catalogue's titles, rebuilt (two queries) when the
    stamp changes."""
    from mangaki.models import Work, WorkTitle

    stamp = (using, catalogue_stamp(using))

    def build() -> TitleIndex:
        main = Work.objects.using(using).annotate(alternative=Value(False))
        other = WorkTitle.objects.using(using).annotate(alternative=Value(True))
        rows = (
            main.order_by()
            .values_list("pk", "title", "alternative")
            .union(other.order_by().values_list("work_id", "title", "alternative"), all=True)
        )
        popularity = dict(
            Work.objects.using(using).order_by().values_list("pk", "external_members")
        )
        return TitleIndex(
            ((w, t, t if alternative else None) for w, t, alternative in rows),
            {w: n or 0 for w, n in popularity.items()},
        )

    return _indexes.get_or_compute(stamp, build)


def forget_title_indexes() -> None:
    """Drop this process's indexes (tests that change titles behind the models' backs)."""
    _indexes.clear()


def normalized_query(query: str) -> str:
    """The normalised key of ``query``; ``ValueError`` (translated, shown to the person)
    past ``SEARCH_MAX_LENGTH`` characters."""
    if len(query) > SEARCH_MAX_LENGTH:
        message = gettext("A search holds at most %(n)d characters.")
        raise ValueError(message % {"n": SEARCH_MAX_LENGTH})
    return normalize_title(query)


def search_works(works: models.QuerySet, query: str) -> models.QuerySet:
    """The works of ``works`` whose title or an alternative title matches ``query`` (case,
    accents and punctuation ignored), best match first: exact title, title prefix, word
    prefix, substring, then typo- and word-order-tolerant matches (closest first);
    popularity breaks ties. Each work carries ``search_match`` (one of ``MATCH_*``) and
    ``matched_title``, the alternative title that matched when it matched better than
    the main title.

    The matching runs on the title index, in this process; the database only filters
    (category, adult works), orders by popularity and loads the rows: one query, whose
    expressions stay small (Django compiled nested match expressions in ~50 ms).

    Example::

        search_works(Work.objects.all(), "attack on titan")[:8]  # "Shingeki no Kyojin"

    Raises ``ValueError`` for a query longer than ``SEARCH_MAX_LENGTH``.
    """
    key = normalized_query(query)
    if not key:
        return works.none()
    found = title_index(works.db).search(key)
    if not found:
        return works.none()
    by_kind: dict[int, list[int]] = {}
    for match in found:
        by_kind.setdefault(match.kind, []).append(match.work_id)
    fuzzy = [m for m in found if m.kind == MATCH_FUZZY]
    # Fuzzy matches: by score (equal scores tie), popularity, then whole-title closeness.
    scores = sorted({m.score for m in fuzzy}, reverse=True)
    tiers = {score: tier for tier, score in enumerate(scores)}
    alternatives = [When(pk=m.work_id, then=Value(m.alternative)) for m in found if m.alternative]
    return (
        works.filter(pk__in=[m.work_id for m in found])
        .annotate(
            search_match=Case(
                *(When(pk__in=ids, then=Value(kind)) for kind, ids in sorted(by_kind.items())),
                default=Value(MATCH_NONE),
                output_field=IntegerField(),
            ),
            search_rank=_per_work({m.work_id: tiers[m.score] for m in fuzzy}),
            search_closeness=_per_work({m.work_id: m.closeness for m in fuzzy}),
            matched_title=(
                Case(*alternatives, default=Value(None), output_field=CharField())
                if alternatives
                else Value(None, output_field=CharField())
            ),
        )
        .order_by(
            "search_match",
            "search_rank",
            "-nb_ratings",
            F("external_members").desc(nulls_last=True),
            "search_closeness",
            "pk",
        )
    )


def _per_work(values: dict[int, int]):
    """An integer per work id as a SQL expression (0 for the others)."""
    if not values:
        return Value(0, output_field=IntegerField())
    whens = [When(pk=work_id, then=Value(value)) for work_id, value in values.items()]
    return Case(*whens, default=Value(0), output_field=IntegerField())
