"""Deleting an account: the person, their ratings, tokens and imports, all at once.

The works they rated are recounted before returning, so rankings drop their ratings
immediately; their cached recommendations are keyed by their ratings and so never served
again; the next training snapshot reads the ratings table and so no longer sees them.

Example::

    delete_account(user)  # -> number of ratings removed
"""

from django.db import transaction

from mangaki.models import Rating
from mangaki.services.counters import recompute_counters


def delete_account(user) -> int:
    """Delete ``user`` and everything hanging on it; returns how many ratings went."""
    user_id = user.pk
    with transaction.atomic():
        work_ids = list(Rating.objects.filter(user_id=user_id).values_list("work_id", flat=True))
        # Ratings, tokens, profile and imports cascade with the user row.
        user.delete()
        recompute_counters(work_ids)
    return len(work_ids)
