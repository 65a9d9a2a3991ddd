"""Works for a group to watch (or read) together, from each member's folded-in taste.

Each member is folded into the served model from their current ratings. The candidates
are the works no member has rated (any choice, wontsee included: one "don't want to see"
is enough to leave a work out), drawn from the union of each member's own best
``POOL`` picks of the list model, so that the group is offered works people actually
pick, not obscure works with a high predicted rating. Each candidate's members' predicted
ratings are then aggregated:

- ``least_misery`` (the default): the lowest predicted rating of the group, so a work
  nobody will hate comes first;
- ``average``: the mean of the members' predicted ratings.

Ties are broken by the members' summed list scores. Adult works are offered only when
every member allows them, since everyone will see the work.

Example::

    members = group_members(alice, ["bob", "charlie"])
    for pick in recommend_for_group(members, category_id=anime.pk, n=10).picks:
        print(pick.work.title, pick.score, [m.label for m in pick.members])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from mangaki.choices import PREDICTION_LABELS, predicted_choice
from mangaki.models import Work
from mangaki.models.catalog import CARD_FIELDS
from mangaki.services.duels import duel_values
from recommender.facade import Ranked, served_model
from recommender.serving import user_ratings

MAX_MEMBERS = 8  # the person asking included
POOL = 60  # each member's best picks among which the group's list is chosen
AGGREGATIONS = ("least_misery", "average")
DEFAULT_AGGREGATION = "least_misery"


class GroupError(ValueError):
    """The group cannot be formed; the message is meant for the person asking."""


class UnknownMember(GroupError):
    """A name that is no public profile. Unknown and private names get the same message,
    so nobody learns whether a private account exists."""

    def __init__(self, username: str) -> None:
        super().__init__(_("There is no public profile named “%(name)s”.") % {"name": username})
        self.username = username


@dataclass(frozen=True)
class MemberOpinion:
    """What the model expects one member to think of a work, and why."""

    username: str
    predicted: float
    choice: str
    because: tuple[tuple[int, str], ...] = ()  # (work id, title) of works they liked

    @property
    def label(self) -> str:
        return str(PREDICTION_LABELS[self.choice])


@dataclass(frozen=True)
class GroupPick:
    work: Work
    score: float  # the aggregated predicted rating (-2 dislike .. 4 favorite)
    members: tuple[MemberOpinion, ...]

    @property
    def predicted_choice(self) -> str:
        return predicted_choice(self.score)

    @property
    def predicted_label(self) -> str:
        return str(PREDICTION_LABELS[self.predicted_choice])


@dataclass
class GroupResult:
    members: list
    aggregation: str
    model_version: str | None
    picks: list[GroupPick] = field(default_factory=list)


def parse_usernames(text: str) -> list[str]:
    """Names from a comma- or space-separated text, in order, without repeats.

    Example::

        >>> parse_usernames("bob, charlie bob")
        ['bob', 'charlie']
    """
    names = [n.strip() for n in text.replace(",", " ").split()]
    return list(dict.fromkeys(n for n in names if n))


def group_members(requester, usernames: list[str]) -> list:
    """The requester followed by the people named, each of whom must have a public profile
    (the requester may name themselves). Raises :class:`UnknownMember` for a name that is
    unknown, inactive or private, and :class:`GroupError` for a group over ``MAX_MEMBERS``.
    """
    others = [n for n in dict.fromkeys(usernames) if n != requester.username]
    if len(others) + 1 > MAX_MEMBERS:
        raise GroupError(_("A group has at most %(n)s people, you included.") % {"n": MAX_MEMBERS})
    found = {
        u.username: u
        for u in get_user_model()
        .objects.filter(username__in=others, is_active=True, profile__is_shared=True)
        .select_related("profile")
    }
    for name in others:
        if name not in found:
            raise UnknownMember(name)
    return [requester, *(found[n] for n in others)]


def aggregate(predicted: np.ndarray, aggregation: str) -> np.ndarray:
    """One score per work from a (members x works) matrix of predicted ratings.

    Example::

        >>> aggregate(np.array([[4.0, 2.0], [-2.0, 2.0]]), "least_misery").tolist()
        [-2.0, 2.0]
        >>> aggregate(np.array([[4.0, 2.0], [-2.0, 2.0]]), "average").tolist()
        [1.0, 2.0]
    """
    if aggregation == "least_misery":
        return predicted.min(axis=0)
    if aggregation == "average":
        return predicted.mean(axis=0)
    raise GroupError(f"Unknown aggregation {aggregation!r}; use one of {', '.join(AGGREGATIONS)}.")


def recommend_for_group(
    members: list,
    *,
    aggregation: str = DEFAULT_AGGREGATION,
    category_id: int | None = None,
    n: int = 20,
) -> GroupResult:
    """The ``n`` best works for ``members`` (see the module docstring), best first, each
    with every member's predicted choice and, where the model gives one, the works they
    liked that lead to it. Empty without a model."""
    if aggregation not in AGGREGATIONS:
        raise GroupError(
            f"Unknown aggregation {aggregation!r}; use one of {', '.join(AGGREGATIONS)}."
        )
    model = served_model()
    result = GroupResult(members, aggregation, model.version if model else None)
    if model is None or not members:
        return result
    ratings = [user_ratings(m) for m in members]
    # Each member as their own lists see them: ratings refined by their duels.
    people = [
        model.fold(r, values=duel_values(m, r)) for m, r in zip(members, ratings, strict=True)
    ]
    rated = {w for person_ratings in ratings for w, _ in person_ratings}
    include_nsfw = all(m.profile.nsfw_ok for m in members)
    candidates = model.candidates(category_id, include_nsfw, exclude=rated)
    pool: dict[int, float] = {}
    for person in people:
        for item in model.rank(person, candidates, POOL, max_per_franchise=None):
            pool[item.row] = pool.get(item.row, 0.0) + item.score
    if not pool:
        return result
    rows = np.fromiter(pool, dtype=np.int64, count=len(pool))
    predicted = np.vstack([model.predict(person, rows) for person in people])
    scores = aggregate(predicted, aggregation)
    tie_break = np.array([pool[int(r)] for r in rows])
    order = np.lexsort((-tie_break, -scores))
    # Twice as many as asked: works deleted or marked adult since the snapshot drop out.
    chosen = order[: 2 * n]
    chosen_rows = rows[chosen]
    ids = model.work_ids(chosen_rows)
    why = [
        model.explain(
            person,
            [
                Ranked(int(r), w, 0.0, float(p), False)
                for r, w, p in zip(chosen_rows, ids, predicted[i, chosen], strict=True)
            ],
        )
        for i, person in enumerate(people)
    ]
    liked_ids = {w for explanations in why for e in explanations for w in e.because}
    works = Work.objects.select_related("category").only(*CARD_FIELDS).in_bulk(set(ids) | liked_ids)
    for column, (position, work_id) in enumerate(zip(chosen, ids, strict=True)):
        work = works.get(work_id)
        if work is None or (work.nsfw and not include_nsfw):
            continue
        opinions = tuple(
            MemberOpinion(
                member.username,
                round(float(predicted[i, position]), 4),
                predicted_choice(float(predicted[i, position])),
                tuple(
                    (w, works[w].title)
                    for w in why[i][column].because
                    if w in works and (include_nsfw or not works[w].nsfw)
                ),
            )
            for i, member in enumerate(members)
        )
        result.picks.append(GroupPick(work, round(float(scores[position]), 4), opinions))
        if len(result.picks) == n:
            break
    return result
