"""Setting, changing and removing ratings: the only writers of the Rating table."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mangaki.choices import Choice
from mangaki.models import Rating, Work
from mangaki.signals import ratings_changed


class RatingError(ValueError):
    """A rating request that cannot be honoured (unknown work, bad choice)."""


def _announce(user_ids: Iterable[int], work_ids: list[int]) -> None:
    for user_id in sorted(set(user_ids)):
        ratings_changed.send(sender=Rating, user_id=user_id, work_ids=work_ids)


def _after_change(user_ids: list[int], work_ids: list[int]) -> None:
    from mangaki.tasks.counters import recount_later

    # After commit: the task must see the new rating, and a rolled-back rating must not
    # trigger anything. If the broker cannot take the task, the works are marked for the
    # next recount instead: the rating stands either way. Subscribers to ratings_changed
    # (the recommender) hear of it after commit too.
    def committed() -> None:
        recount_later(work_ids)
        _announce(user_ids, work_ids)

    transaction.on_commit(committed)


def check_rating(work_id: int, choice: str, viewer=None) -> None:
    """Raise RatingError (translated) unless ``choice`` is a choice and the work exists
    for ``viewer``: an adult work hidden from them (no ``nsfw_ok``) does not, as on its
    page. Without a viewer (a visitor), adult works are hidden."""
    if choice not in Choice.values:
        raise RatingError(
            _("unknown choice %(choice)r; expected one of %(choices)s")
            % {"choice": choice, "choices": ", ".join(Choice.values)}
        )
    works = Work.objects.safe_for(viewer) if viewer is not None else Work.objects.filter(nsfw=False)
    if not works.filter(pk=work_id).exists():
        raise RatingError(_("there is no work with id %(id)s") % {"id": work_id})


def rate_work(user, work_id: int, choice: str) -> Rating:
    """Set ``user``'s rating of a work, creating or changing it in one statement.

    An INSERT ... ON CONFLICT DO UPDATE, so simultaneous clicks on the same work can
    neither create two ratings nor fail: the last one wins.
    """
    check_rating(work_id, choice, user)
    with transaction.atomic():
        Rating.objects.bulk_create(
            [Rating(user=user, work_id=work_id, choice=choice, date=timezone.now())],
            update_conflicts=True,
            unique_fields=["user", "work"],
            update_fields=["choice", "date"],
        )
        _after_change([user.pk], [work_id])
    return Rating.objects.get(user=user, work_id=work_id)


def rate_many(user, ratings: Iterable[tuple[int, str]]) -> int:
    """Upsert many (work_id, choice) pairs at once, all or nothing."""
    pairs = dict(ratings)  # the last choice for a work wins, as with repeated clicks
    bad = sorted({c for c in pairs.values() if c not in Choice.values})
    if bad:
        raise RatingError(_("unknown choice(s): %(choices)s") % {"choices": ", ".join(bad)})
    known = set(Work.objects.filter(pk__in=pairs).values_list("pk", flat=True))
    missing = sorted(set(pairs) - known)
    if missing:
        raise RatingError(
            _("unknown work id(s): %(ids)s") % {"ids": ", ".join(map(str, missing[:20]))}
        )
    now = timezone.now()
    with transaction.atomic():
        Rating.objects.bulk_create(
            [Rating(user=user, work_id=w, choice=c, date=now) for w, c in pairs.items()],
            update_conflicts=True,
            unique_fields=["user", "work"],
            update_fields=["choice", "date"],
            batch_size=1000,
        )
        _after_change([user.pk], sorted(pairs))
    return len(pairs)


def add_missing_ratings(user, ratings: Iterable[tuple[int, str]]) -> int:
    """Add the (work_id, choice) pairs of works ``user`` has not rated; a rating the
    account already has is never changed, even one written meanwhile by a concurrent
    request (the insert skips conflicts). Returns how many were added."""
    pairs = dict(ratings)  # the last choice for a work wins
    bad = sorted({c for c in pairs.values() if c not in Choice.values})
    if bad:
        raise RatingError(_("unknown choice(s): %(choices)s") % {"choices": ", ".join(bad)})
    now = timezone.now()
    with transaction.atomic():
        rated = set(
            Rating.objects.filter(user=user, work_id__in=list(pairs)).values_list(
                "work_id", flat=True
            )
        )
        new = {w: c for w, c in pairs.items() if w not in rated}
        Rating.objects.bulk_create(
            [Rating(user=user, work_id=w, choice=c, date=now) for w, c in new.items()],
            ignore_conflicts=True,
            batch_size=1000,
        )
        if new:
            _after_change([user.pk], sorted(new))
    return len(new)


def import_ratings(rows, overwrite: bool = True) -> tuple[int, int]:
    """Write many people's ratings at once: ``(user id, work id, choice, date or None)``
    rows, for catalogue fixtures and the demo. With ``overwrite`` a different choice
    replaces the stored one, else stored ratings are kept; the last row of a pair wins.
    The works' counters are recounted before returning. Returns (created, updated).

    Example::

        import_ratings([(alice.pk, 12, "like", None)])  # -> (1, 0)
    """
    from mangaki.services.counters import recompute_counters

    wanted = {(u, w): (c, d) for u, w, c, d in rows}
    bad = sorted({c for c, _ in wanted.values() if c not in Choice.values})
    if bad:
        raise RatingError(_("unknown choice(s): %(choices)s") % {"choices": ", ".join(bad)})
    now = timezone.now()
    created = updated = 0
    works = sorted({w for _, w in wanted})
    with transaction.atomic():
        existing = {
            (u, w): c
            for u, w, c in Rating.objects.filter(
                user_id__in={u for u, _ in wanted}, work_id__in=works
            ).values_list("user_id", "work_id", "choice")
        }
        fresh = []
        for (user_id, work_id), (choice, date) in wanted.items():
            stored = existing.get((user_id, work_id))
            if stored == choice or (stored is not None and not overwrite):
                continue
            created += stored is None
            updated += stored is not None
            fresh.append(Rating(user_id=user_id, work_id=work_id, choice=choice, date=date or now))
        Rating.objects.bulk_create(
            fresh,
            update_conflicts=True,
            unique_fields=["user", "work"],
            update_fields=["choice", "date"],
            batch_size=2000,
        )
        recompute_counters(works)
        written = [r.user_id for r in fresh]
        transaction.on_commit(lambda: _announce(written, works))
    return created, updated


def remove_rating(user, work_id: int) -> bool:
    """Forget ``user``'s rating of a work. Returns whether there was one."""
    with transaction.atomic():
        deleted, _ = Rating.objects.filter(user=user, work_id=work_id).delete()
        if deleted:
            _after_change([user.pk], [work_id])
    return bool(deleted)
