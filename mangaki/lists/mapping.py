"""From a list entry's status and score to one of the six choices, as the user adjusts it.

Defaults follow the original site: a completed work scored 7-9 is liked, 5-6 neutral,
1-4 disliked; dropped is "won't see", planned is "want to see". Our decisions:

- a 10 is a favorite: the top of both sites' scales is what the favorite choice means
  (``favorite_min=0`` turns favorites from scores off);
- score 0 means *unscored* on both sites: a completed but unscored work is "neutral"
  (seen, no opinion given), adjustable to "skip";
- watching and on hold: judged by their score like a completed work when scored, skipped
  when unscored (an opinion on a half-seen work is only taken when the user gave one);
- AniList page exports carry no status ("unknown"): judged by the score, skipped if unscored;
- ``calibrate``: the user's own top 10% of scores (at least ``like_min``) become favorites,
  so a generous scorer's tens and a harsh scorer's eights both mark what they loved most.

Example::

    >>> m = Mapping()
    >>> m.choice("completed", 10), m.choice("completed", 8), m.choice("completed", 5)
    ('favorite', 'like', 'neutral')
    >>> m.choice("dropped", 9)
    'wontsee'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields

CHOICES = ("favorite", "like", "neutral", "dislike", "willsee", "wontsee")
SKIP = "skip"
BY_SCORE = "score"


@dataclass
class Mapping:
    favorite_min: int = 10  # 0: no favorites from scores, unless calibrated
    like_min: int = 7
    neutral_min: int = 5
    calibrate: bool = False
    unscored: str = "neutral"  # completed and unscored
    watching: str = BY_SCORE
    on_hold: str = BY_SCORE
    dropped: str = "wontsee"
    planned: str = "willsee"

    def validate(self) -> Mapping:
        """Raise ValueError on inconsistent thresholds or unknown choices; return self."""
        if not 0 <= self.neutral_min <= self.like_min <= 10:
            raise ValueError("thresholds must satisfy 0 <= neutral <= like <= 10")
        if self.favorite_min and not self.like_min <= self.favorite_min <= 10:
            raise ValueError("the favorite threshold must lie between like and 10")
        for name in ("unscored", "dropped", "planned"):
            if getattr(self, name) not in (*CHOICES, SKIP):
                raise ValueError(f"{name}: unknown choice {getattr(self, name)!r}")
        for name in ("watching", "on_hold"):
            if getattr(self, name) not in (*CHOICES, SKIP, BY_SCORE):
                raise ValueError(f"{name}: unknown choice {getattr(self, name)!r}")
        return self

    @classmethod
    def from_dict(cls, data: dict | None) -> Mapping:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known}).validate()

    def to_dict(self) -> dict:
        return asdict(self)

    def calibrated(self, scores: Iterable[float]) -> Mapping:
        """A copy whose favorite threshold is the user's top-10% score (when ``calibrate``).

        Example::

            >>> Mapping(calibrate=True).calibrated([6, 7, 8, 8, 9, 9, 9, 9, 9, 9]).favorite_min
            9
        """
        if not self.calibrate:
            return self
        given = sorted((s for s in scores if s > 0), reverse=True)
        if not given:
            return self
        cut = given[max(math.ceil(0.1 * len(given)) - 1, 0)]
        return Mapping(**{**self.to_dict(), "favorite_min": max(int(cut), self.like_min)})

    def by_score(self, score: float, unscored: str) -> str:
        if score <= 0:
            return unscored
        if self.favorite_min and score >= self.favorite_min:
            return "favorite"
        if score >= self.like_min:
            return "like"
        if score >= self.neutral_min:
            return "neutral"
        return "dislike"

    def choice(self, status: str, score: float) -> str:
        """The choice (or "skip") for one entry."""
        if status == "completed":
            return self.by_score(score, self.unscored)
        if status in ("dropped", "planned"):
            return getattr(self, status)
        rule = getattr(self, status, BY_SCORE)  # "unknown" is judged by its score
        return self.by_score(score, SKIP) if rule == BY_SCORE else rule
