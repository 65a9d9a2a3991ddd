"""Rankings as QuerySet methods, scaled to the size of the site (docs/rankings.md).

Example::

    Work.objects.filter(category__slug="anime").top()[:8]
"""

import math

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connections, models
from django.db.models import (
    Case,
    CharField,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least
from django.utils.translation import gettext

# The original site used fixed thresholds tuned when its most-seen work had ~1,462
# seen-ratings (pearls: 30 to 126). We keep those proportions of the current maximum.
TOP_MIN_FRACTION = 0.05
PEARLS_MIN_FRACTION = 30 / 1462
PEARLS_MAX_FRACTION = 126 / 1462
PEARLS_MAX_DISLIKE_RATIO = 5 / 42
MIN_SEEN_FLOOR = 3

# Title search: the kinds of match, best first (a work ranks by its best-matching title).
MATCH_EXACT, MATCH_PREFIX, MATCH_WORD, MATCH_SUBSTRING, MATCH_FUZZY, MATCH_NONE = range(6)
SEARCH_MAX_LENGTH = 100
SUBSTRING_MIN_LENGTH = 3
FUZZY_MIN_LENGTH = 4
#: The rankings of a category, by the name of their QuerySet method.
RANKINGS = ("top", "pearls", "popular", "controversial")


def ranking_thresholds(max_seen: int) -> dict[str, int]:
    """Seen-rating thresholds for a site whose most-seen work has ``max_seen`` ratings.

    Example::

        >>> ranking_thresholds(1462)
        {'top_min': 74, 'pearls_min': 30, 'pearls_max': 126}
    """
    top_min = max(MIN_SEEN_FLOOR, math.ceil(TOP_MIN_FRACTION * max_seen))
    pearls_min = max(MIN_SEEN_FLOOR, round(PEARLS_MIN_FRACTION * max_seen))
    pearls_max = max(pearls_min, round(PEARLS_MAX_FRACTION * max_seen))
    return {"top_min": top_min, "pearls_min": pearls_min, "pearls_max": pearls_max}


class WorkQuerySet(models.QuerySet):
    def thresholds(self) -> dict[str, int]:
        max_seen = self.order_by().aggregate(m=Max("nb_seen"))["m"] or 0
        return ranking_thresholds(max_seen)

    def top(self):
        """Best mean opinion among works seen by enough people."""
        limit = self.thresholds()["top_min"]
        return self.filter(nb_seen__gte=limit).order_by("-score", "-nb_seen", "pk")

    def pearls(self):
        """Liked by nearly everyone who saw them, but seen by few."""
        bounds = self.thresholds()
        likes = F("nb_like") + F("nb_favorite")
        return (
            self.filter(nb_seen__gte=bounds["pearls_min"], nb_seen__lte=bounds["pearls_max"])
            .annotate(likes=likes)
            .filter(likes__gt=0)
            .annotate(dislike_ratio=Cast("nb_dislike", FloatField()) / Cast("likes", FloatField()))
            .filter(dislike_ratio__lte=PEARLS_MAX_DISLIKE_RATIO)
            .order_by("dislike_ratio", "-likes", "pk")
        )

    def popular(self):
        """Most ratings of any kind on this site, then most members elsewhere."""
        return self.order_by("-nb_ratings", F("external_members").desc(nulls_last=True), "pk")

    def controversial(self):
        """Many likes and many dislikes in similar numbers."""
        return self.filter(controversy__gt=0).order_by("-controversy", "pk")

    def ranked_for(self, user, ranking: str) -> "WorkQuerySet":
        """The ranking ``ranking`` (one of ``RANKINGS``) of these works as ``user`` sees it,
        the one used by the site's pages, the API and the decks. Adult works hidden from the
        person are left out *before* ranking: the thresholds (``top_min``, the pearls'
        window) then come from the works they can see, and a work they cannot see never
        pushes one they can out of a ranking.

        Example::

            Work.objects.filter(category__slug="anime").ranked_for(request.user, "top")[:8]
        """
        if ranking not in RANKINGS:
            raise ValueError(f"unknown ranking {ranking!r}")
        return getattr(self.safe_for(user), ranking)()

    def safe_for(self, user) -> "WorkQuerySet":
        """Hide adult works unless the person asked to see them."""
        profile = getattr(user, "profile", None) if user.is_authenticated else None
        if profile is not None and profile.nsfw_ok:
            return self
        return self.filter(nsfw=False)

    def search(self, query: str) -> "WorkQuerySet":
        """Works whose title or an alternative title matches ``query`` (case, accents and
        punctuation ignored), best match first: exact title, title prefix, word prefix,
        substring, then (PostgreSQL only) typo-tolerant trigram matches; popularity breaks
        ties. Each work carries ``search_match`` (one of ``MATCH_*``) and ``matched_title``,
        the alternative title that matched when it matched better than the main title.

        Example::

            Work.objects.search("attack on titan")[:8]  # "Shingeki no Kyojin" first

        Raises ``ValueError`` for a query longer than ``SEARCH_MAX_LENGTH``.
        """
        from mangaki.models import WorkTitle
        from mangaki.text import normalize_title

        if len(query) > SEARCH_MAX_LENGTH:
            message = gettext("A search holds at most %(n)d characters.")
            raise ValueError(message % {"n": SEARCH_MAX_LENGTH})
        key = normalize_title(query)
        if not key:
            return self.none()
        # One or two letters inside a word match most of the catalogue: words must start
        # with them. Trigrams say nothing about a typo in a word of three letters, and
        # would make PostgreSQL recheck every row.
        inside = len(key) >= SUBSTRING_MIN_LENGTH
        fuzzy = connections[self.db].vendor == "postgresql" and len(key) >= FUZZY_MIN_LENGTH
        # Indexable predicates (trigram indexes on PostgreSQL), so the ranking expressions
        # below only run on matching rows.
        if inside:
            found = Q(search_key__contains=key)
        else:
            found = Q(search_key__startswith=key) | Q(search_key__contains=f" {key}")
        if fuzzy:
            found |= Q(TrigramWordSimilar(F("search_key"), key))
        # One UNION of two index scans: an OR across the two tables would scan every work.
        matching = (
            self.model.objects.filter(found)
            .order_by()
            .values("pk")
            .union(WorkTitle.objects.filter(found).order_by().values("work_id"))
        )
        alternative = (
            WorkTitle.objects.filter(work=OuterRef("pk"))
            .annotate(match=_match_kind(key, inside, fuzzy))
            .filter(match__lt=MATCH_NONE)
            .order_by("match", "pk")
        )
        works = (
            self.filter(pk__in=matching)
            .annotate(
                title_match=_match_kind(key, inside, fuzzy),
                alternative_match=Coalesce(
                    Subquery(alternative.values("match")[:1]), Value(MATCH_NONE)
                ),
            )
            .annotate(
                search_match=Least("title_match", "alternative_match"),
                matched_title=Case(
                    When(
                        alternative_match__lt=F("title_match"),
                        then=Subquery(alternative.values("title")[:1]),
                    ),
                    default=Value(None),
                    output_field=CharField(),
                ),
            )
        )
        order = ["search_match"]
        if fuzzy:
            # Among typo-tolerant matches, the closest spelling first.
            alternative_similarity = (
                WorkTitle.objects.filter(work=OuterRef("pk"))
                .annotate(similarity=TrigramWordSimilarity(Value(key), "search_key"))
                .order_by("-similarity")
                .values("similarity")[:1]
            )
            works = works.annotate(
                search_similarity=Case(
                    When(
                        search_match=MATCH_FUZZY,
                        then=Greatest(
                            TrigramWordSimilarity(Value(key), "search_key"),
                            Coalesce(Subquery(alternative_similarity), Value(0.0)),
                        ),
                    ),
                    default=Value(1.0),
                    output_field=FloatField(),
                )
            )
            order.append("-search_similarity")
        return works.order_by(
            *order, "-nb_ratings", F("external_members").desc(nulls_last=True), "pk"
        )


def _match_kind(key: str, inside: bool, fuzzy: bool) -> Case:
    """How well a row's ``search_key`` matches the normalised query ``key``."""
    kinds = [
        When(search_key=key, then=Value(MATCH_EXACT)),
        When(search_key__startswith=key, then=Value(MATCH_PREFIX)),
        When(search_key__contains=f" {key}", then=Value(MATCH_WORD)),
    ]
    if inside:
        kinds.append(When(search_key__contains=key, then=Value(MATCH_SUBSTRING)))
    if fuzzy:
        kinds.append(When(TrigramWordSimilar(F("search_key"), key), then=Value(MATCH_FUZZY)))
    return Case(*kinds, default=Value(MATCH_NONE), output_field=IntegerField())
