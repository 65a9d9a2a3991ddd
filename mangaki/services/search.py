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

import threading
from dataclasses import dataclass

import numpy as np
from django.db import connections, models
from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils.translation import gettext
from rapidfuzz import fuzz, process

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
#: The last word of a query may be unfinished ("code geass lel"): it is also compared with
#: the beginning of each title word, at this discount.
PREFIX_DISCOUNT = 0.95
PREFIX_MIN_LENGTH = 3


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
        [2, 1]
        >>> index.fuzzy("atack on titan")[0].alternative
        'Attack on Titan'
    """

    def __init__(self, titles) -> None:
        """``titles``: ``(work id, title, alternative title or None)`` rows; the title is
        what is matched, the alternative is what the result says matched."""
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


_indexes: dict[str, tuple[tuple, TitleIndex]] = {}
_lock = threading.Lock()


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
    """This process's index of the catalogue's titles, rebuilt (one query) when the
    stamp changes."""
    from mangaki.models import Work, WorkTitle

    stamp = catalogue_stamp(using)
    cached = _indexes.get(using)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _indexes.get(using)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        main = Work.objects.using(using).annotate(alternative=Value(False))
        other = WorkTitle.objects.using(using).annotate(alternative=Value(True))
        rows = (
            main.order_by()
            .values_list("pk", "title", "alternative")
            .union(other.order_by().values_list("work_id", "title", "alternative"), all=True)
        )
        index = TitleIndex((w, t, t if alternative else None) for w, t, alternative in rows)
        _indexes[using] = (stamp, index)
    return index


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

    Example::

        search_works(Work.objects.all(), "attack on titan")[:8]  # "Shingeki no Kyojin"

    Raises ``ValueError`` for a query longer than ``SEARCH_MAX_LENGTH``.
    """
    from mangaki.models import WorkTitle

    key = normalized_query(query)
    if not key:
        return works.none()
    # One or two letters inside a word match most of the catalogue: words must start
    # with them.
    inside = len(key) >= SUBSTRING_MIN_LENGTH
    if inside:
        found = Q(search_key__contains=key)
    else:
        found = Q(search_key__startswith=key) | Q(search_key__contains=f" {key}")
    fuzzy = title_index(works.db).fuzzy(key)
    fuzzy_ids = [m.work_id for m in fuzzy]
    # One UNION of two index scans: an OR across the two tables would scan every work.
    matching = (
        works.model.objects.filter(found)
        .order_by()
        .values("pk")
        .union(WorkTitle.objects.filter(found).order_by().values("work_id"))
    )
    alternative = (
        WorkTitle.objects.filter(work=OuterRef("pk"))
        .annotate(match=_match_kind(key, inside))
        .filter(match__lt=MATCH_NONE)
        .order_by("match", "pk")
    )
    fuzzy_kind = (
        Case(When(pk__in=fuzzy_ids, then=Value(MATCH_FUZZY)), default=Value(MATCH_NONE))
        if fuzzy_ids
        else Value(MATCH_NONE)
    )
    # Fuzzy matches: by score (equal scores tie), popularity, then whole-title closeness.
    tiers = {
        score: tier for tier, score in enumerate(sorted({m.score for m in fuzzy}, reverse=True))
    }
    fuzzy_tier = _per_work({m.work_id: tiers[m.score] for m in fuzzy})
    fuzzy_closeness = _per_work({m.work_id: m.closeness for m in fuzzy})
    fuzzy_titles = [When(pk=m.work_id, then=Value(m.alternative)) for m in fuzzy if m.alternative]
    results = (
        works.filter(Q(pk__in=matching) | Q(pk__in=fuzzy_ids))
        .annotate(
            title_match=_match_kind(key, inside),
            alternative_match=Coalesce(
                Subquery(alternative.values("match")[:1]), Value(MATCH_NONE)
            ),
            fuzzy_match=fuzzy_kind,
        )
        .annotate(search_match=Least("title_match", "alternative_match", "fuzzy_match"))
        .annotate(
            matched_title=Case(
                When(
                    Q(alternative_match__lt=F("title_match"))
                    & Q(alternative_match__lt=MATCH_FUZZY),
                    then=Subquery(alternative.values("title")[:1]),
                ),
                *(
                    [When(search_match=MATCH_FUZZY, then=Case(*fuzzy_titles, default=None))]
                    if fuzzy_titles
                    else []
                ),
                default=Value(None),
                output_field=CharField(),
            ),
            # Other kinds of match order by popularity alone.
            search_rank=Case(
                When(search_match=MATCH_FUZZY, then=fuzzy_tier),
                default=Value(0),
                output_field=IntegerField(),
            ),
            search_closeness=Case(
                When(search_match=MATCH_FUZZY, then=fuzzy_closeness),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
    )
    return results.order_by(
        "search_match",
        "search_rank",
        "-nb_ratings",
        F("external_members").desc(nulls_last=True),
        "search_closeness",
        "pk",
    )


def _per_work(values: dict[int, int]):
    """An integer per work id as a SQL expression (0 for the others)."""
    if not values:
        return Value(0)
    whens = [When(pk=work_id, then=Value(value)) for work_id, value in values.items()]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def _match_kind(key: str, inside: bool) -> Case:
    """How well a row's ``search_key`` matches the normalised query ``key``."""
    kinds = [
        When(search_key=key, then=Value(MATCH_EXACT)),
        When(search_key__startswith=key, then=Value(MATCH_PREFIX)),
        When(search_key__contains=f" {key}", then=Value(MATCH_WORD)),
    ]
    if inside:
        kinds.append(When(search_key__contains=key, then=Value(MATCH_SUBSTRING)))
    return Case(*kinds, default=Value(MATCH_NONE), output_field=IntegerField())
