"""The duel deck: "which of these two do you prefer?" between works a person has seen.

Answers are kept one row each (:class:`~mangaki.models.Duel`) and read as a Bradley-Terry
model of the person's preferences (:mod:`recommender.algorithms.bradley_terry`): a
ranking of the works they compared, and finer rating evidence for their recommendations
(:func:`duel_values`, folded in with their ratings by :mod:`recommender.serving`).

Pairs are drawn from the works the person rated as seen (favorite, like, neutral,
dislike): first the work compared least (popular works first among equals, as people
remember them best), against a work not yet compared with it, preferably one they gave
the same choice, whose order their ratings cannot tell.

Example::

    pair = next_pair(alice, anime.pk)            # (left, right, token) or None
    why_no_pair(alice, anime.pk)                 # when None: TOO_FEW_SEEN or ALL_OFFERED
    record_duel(alice, pair.token, pair.left.pk, pair.right.pk, winner_id=pair.left.pk)
    duel_ranking(alice, anime.pk)[0]             # (work, strength, wins, losses)
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Value
from django.utils.translation import gettext as _

from mangaki.choices import RATING_VALUES, SEEN_CHOICES
from mangaki.models import Duel, Rating, Work
from mangaki.models.catalog import CARD_FIELDS
from recommender.algorithms.bradley_terry import bradley_terry, choose_pair, refined_values

POOL = 300  # most recently rated seen works a pair is drawn from
MARGIN = 1.0  # at most this far from its choice's value a work's duels move it
_random = random.SystemRandom()  # draws, not secrets: SystemRandom needs no seeding


class DuelError(ValueError):
    """The answer cannot be recorded; the message is meant for the person."""


@dataclass(frozen=True)
class Pair:
    left: Work
    right: Work
    token: uuid.UUID


@dataclass(frozen=True)
class Answer:
    duel: Duel
    recorded: bool  # False: the offer had been answered before, and ``duel`` is that answer


@dataclass(frozen=True)
class Ranked:
    work: Work
    strength: float  # Bradley-Terry log-strength; 0 is a work that won half its duels
    wins: int
    losses: int


def _seen(user, category_id: int | None = None) -> dict[int, str]:
    """The person's seen works (work id -> choice), most recently rated first."""
    rows = Rating.objects.filter(user=user, choice__in=SEEN_CHOICES)
    if category_id is not None:
        rows = rows.filter(work__category_id=category_id)
    return dict(rows.order_by("-date", "-pk").values_list("work_id", "choice")[:POOL])


def _answers(user):
    return Duel.objects.filter(user=user, skipped=False)


def next_pair(user, category_id: int | None = None) -> Pair | None:
    """Two seen works of ``category_id`` to compare, None when fewer than two are seen or
    every pair of the pool was already offered."""
    seen = _seen(user, category_id)
    if len(seen) < 2:
        return None
    offered = list(
        Duel.objects.filter(user=user, winner_id__in=seen, loser_id__in=seen).values_list(
            "winner_id", "loser_id"
        )
    )
    ids = list(seen)
    index = {w: i for i, w in enumerate(ids)}
    done = {frozenset((index[a], index[b])) for a, b in offered}
    count = Counter(w for pair in offered for w in pair)
    popularity = dict(Work.objects.filter(pk__in=seen).values_list("pk", "nb_seen"))
    chosen = choose_pair(
        [RATING_VALUES[seen[w]] for w in ids],
        [count[w] for w in ids],
        [popularity.get(w, 0) for w in ids],
        done,
        _random.getrandbits(64),
    )
    if chosen is None:
        return None
    first, second = ids[chosen[0]], ids[chosen[1]]
    works = Work.objects.select_related("category").only(*CARD_FIELDS).in_bulk([first, second])
    left, right = works[first], works[second]
    if _random.random() < 0.5:  # the side must not tell which was drawn first
        left, right = right, left
    return Pair(left, right, uuid.uuid4())


TOO_FEW_SEEN = "too_few_seen"
ALL_OFFERED = "all_offered"


def why_no_pair(user, category_id: int | None = None) -> str:
    """Why :func:`next_pair` found nothing: :data:`TOO_FEW_SEEN` (fewer than two works of
    the category rated as seen) or :data:`ALL_OFFERED` (every pair of them was offered, and
    answered or skipped: rating more works gives new pairs)."""
    return TOO_FEW_SEEN if len(_seen(user, category_id)) < 2 else ALL_OFFERED


def record_duel(user, token: uuid.UUID, left_id: int, right_id: int,
                winner_id: int | None) -> Duel:  # fmt: skip
    """The row of :func:`answer_duel`, for callers that need not know whether it is new."""
    return answer_duel(user, token, left_id, right_id, winner_id).duel


def answer_duel(user, token: uuid.UUID, left_id: int, right_id: int,
                winner_id: int | None) -> Answer:  # fmt: skip
    """Record the answer to the pair offered as ``token``: ``winner_id`` (one of the two)
    preferred, or a skip when None. Idempotent per offer: posting the same offer again
    records nothing and returns the first answer, whatever it says, with ``recorded``
    False (a client can say "already recorded"). Both works must be rated as seen."""
    existing = Duel.objects.filter(user=user, token=token).first()
    if existing is not None:
        return Answer(existing, recorded=False)
    if left_id == right_id:
        raise DuelError(_("A duel needs two different works."))
    if winner_id is not None and winner_id not in (left_id, right_id):
        raise DuelError(_("The preferred work must be one of the two offered."))
    seen = Rating.objects.filter(
        user=user, work_id__in=[left_id, right_id], choice__in=SEEN_CHOICES
    ).count()
    if seen != 2:
        raise DuelError(_("Only works you rated as seen can be compared."))
    loser_id = right_id if winner_id == left_id else left_id
    duel = Duel(
        user=user,
        winner_id=winner_id if winner_id is not None else left_id,
        loser_id=loser_id if winner_id is not None else right_id,
        skipped=winner_id is None,
        token=token,
    )
    try:
        with transaction.atomic():
            duel.save()
    except IntegrityError:
        # The same offer posted twice at once: the other request's answer stands.
        found = Duel.objects.filter(user=user, token=token).first()
        if found is None:
            raise
        return Answer(found, recorded=False)
    return Answer(duel, recorded=True)


def _strengths(pairs: list[tuple[int, int]]) -> tuple[list[int], np.ndarray]:
    ids = sorted({w for pair in pairs for w in pair})
    index = {w: i for i, w in enumerate(ids)}
    winners = [index[w] for w, _ in pairs]
    losers = [index[loser] for _, loser in pairs]
    return ids, bradley_terry(winners, losers, len(ids))


def duel_ranking(user, category_id: int | None = None) -> list[Ranked]:
    """The works the person compared, strongest first, with their wins and losses."""
    answers = _answers(user)
    if category_id is not None:
        answers = answers.filter(winner__category_id=category_id)
    pairs = list(answers.values_list("winner_id", "loser_id"))
    if not pairs:
        return []
    ids, theta = _strengths(pairs)
    wins = Counter(w for w, _ in pairs)
    losses = Counter(loser for _, loser in pairs)
    works = Work.objects.select_related("category").only(*CARD_FIELDS).in_bulk(ids)
    ranked = [
        Ranked(works[w], round(float(t), 3), wins[w], losses[w])
        for w, t in zip(ids, theta, strict=True)
        if w in works
    ]
    return sorted(ranked, key=lambda r: (-r.strength, -r.wins, r.work.title))


@dataclass(frozen=True)
class Stamp:
    key: str  # changes with any rating or duel answer
    n_duels: int  # answers (skips left out); none: no duel evidence to read


def preferences_stamp(user) -> Stamp:
    """What a member's cached lists are keyed by: the count and latest date of their
    ratings and of their duel answers, in one query (a cache hit costs no more than
    before duels). Any rating or answer gives a new key.

    Example::

        preferences_stamp(alice).key  # -> "r24-1764662400.123000:d3-1764662500.000000"
    """

    def summary(model, kind: str, **where):
        rows = model.objects.filter(user=user, **where).order_by().values("user_id")
        return rows.annotate(kind=Value(kind), n=Count("id"), last=Max("date")).values_list(
            "kind", "n", "last"
        )

    found = {kind: (n, last) for kind, n, last in
             summary(Rating, "r").union(summary(Duel, "d", skipped=False), all=True)}  # fmt: skip
    parts = []
    for kind in ("r", "d"):
        n, last = found.get(kind, (0, None))
        parts.append(f"{kind}{n}-{last.timestamp() if last else 0.0:.6f}")
    return Stamp(":".join(parts), found.get("d", (0, None))[0])


def duel_values(user, rated: list[tuple[int, str]]) -> dict[int, float]:
    """Rating values refined by the person's duels, for the compared works among their
    current seen ``rated`` works ((work id, choice) pairs); {} without duels. Fold them
    in with the ratings (:meth:`recommender.facade.ServedModel.fold`)."""
    seen = {w: c for w, c in rated if c in SEEN_CHOICES}
    if len(seen) < 2:
        return {}
    pairs = [
        (w, loser)
        for w, loser in _answers(user).values_list("winner_id", "loser_id")
        if w in seen and loser in seen
    ]
    if not pairs:
        return {}
    ids, theta = _strengths(pairs)
    values = np.array([RATING_VALUES[seen[w]] for w in ids])
    refined = refined_values(values, theta, np.ones(len(ids), dtype=bool), MARGIN)
    return {w: float(v) for w, v in zip(ids, refined, strict=True)}
