"""Ratings of a visitor without an account, kept in their session until they sign up.

The session holds (work_id, choice) pairs in rating order, so the last one can be undone
and the list can go straight to ``recommend(None, ratings=...)`` and ``rate_many``.
Functions take a session (a dict-like object), never a request.
"""

from __future__ import annotations

from collections.abc import MutableMapping

from django.utils.translation import gettext

from mangaki.models import Work
from mangaki.services.ratings import RatingError, add_missing_ratings, check_rating

SESSION_KEY = "onboarding_ratings"
#: Ratings after which a visitor's recommendations start to mean something.
ENOUGH = 10
#: A session is not a database: cap what a visitor can pile up before signing up.
MAX_RATINGS = 500


def session_ratings(session: MutableMapping) -> list[tuple[int, str]]:
    """The visitor's ratings, oldest first.

    Example::

        >>> session_ratings({"onboarding_ratings": [[3, "like"]]})
        [(3, 'like')]
    """
    return [(int(w), str(c)) for w, c in session.get(SESSION_KEY, [])]


def rate_in_session(session: MutableMapping, work_id: int, choice: str) -> None:
    """Record (or change) a visitor's rating; a changed one moves to the end (latest).

    Example::

        rate_in_session(request.session, 42, "like")
    """
    check_rating(work_id, choice)
    pairs = [(w, c) for w, c in session_ratings(session) if w != int(work_id)]
    if len(pairs) >= MAX_RATINGS:
        raise RatingError(gettext("sign up to keep rating: this visit holds enough ratings"))
    pairs.append((int(work_id), choice))
    session[SESSION_KEY] = [list(p) for p in pairs]


def undo_in_session(session: MutableMapping) -> int | None:
    """Forget the visitor's latest rating; returns its work id (None if there was none)."""
    pairs = session_ratings(session)
    if not pairs:
        return None
    work_id, _ = pairs.pop()
    session[SESSION_KEY] = [list(p) for p in pairs]
    return work_id


def forget_in_session(session: MutableMapping, work_id: int) -> None:
    """Take back a visitor's rating of one work (the "clear" of a work page, an undo)."""
    pairs = [(w, c) for w, c in session_ratings(session) if w != int(work_id)]
    session[SESSION_KEY] = [list(p) for p in pairs]


def claim(session: MutableMapping, user) -> tuple[int, int]:
    """Move the session's ratings into ``user``'s account (at sign-up or log-in) and empty
    the session list. The account's own ratings win: a work it already rated keeps that
    rating (the visit may be someone else's in a shared browser), and only the works it
    has not rated are added, as a list import does by default. Works deleted meanwhile are
    dropped. Returns (ratings added, visit ratings left out because the account had one).

    Example::

        claim(request.session, request.user)  # -> (8, 2)
    """
    pairs = session_ratings(session)
    if not pairs:
        return 0, 0
    known = set(Work.objects.filter(pk__in=[w for w, _ in pairs]).values_list("pk", flat=True))
    added = add_missing_ratings(user, [(w, c) for w, c in pairs if w in known])
    session.pop(SESSION_KEY, None)
    return added, len({w for w, _ in pairs if w in known}) - added
