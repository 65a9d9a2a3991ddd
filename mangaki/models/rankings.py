"""Rankings as QuerySet methods, scaled to the size of the site (docs/rankings.md).

Example::

    Work.objects.filter(category__slug="anime").top()[:8]
"""

import math

from django.db import models
from django.db.models import (
    F,
    FloatField,
    Max,
)
from django.db.models.functions import Cast

# The original site used fixed thresholds tuned when its most-seen work had ~1,462
# seen-ratings (pearls: 30 to 126). We keep those proportions of the current maximum.
TOP_MIN_FRACTION = 0.05
PEARLS_MIN_FRACTION = 30 / 1462
PEARLS_MAX_FRACTION = 126 / 1462
PEARLS_MAX_DISLIKE_RATIO = 5 / 42
MIN_SEEN_FLOOR = 3

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
        """Works whose title or an alternative title matches ``query``, best match first
        (typos and word order forgiven): see :func:`mangaki.services.search.search_works`.

        Example::

            Work.objects.search("attack on titan")[:8]  # "Shingeki no Kyojin" first

        Raises ``ValueError`` for a query longer than ``SEARCH_MAX_LENGTH``.
        """
        from mangaki.services.search import search_works

        return search_works(self, query)
