"""What the recommender does when the site tells it something changed.

The site's core never calls into the recommender: the ratings service sends
``mangaki.signals.ratings_changed`` and the recommender listens here.
"""

from django.dispatch import receiver

from mangaki.signals import ratings_changed
from recommender.serving import forget_cached_lists


@receiver(ratings_changed, dispatch_uid="recommender.forget_cached_lists")
def _ratings_changed(sender, user_id: int, work_ids, **kwargs) -> None:
    # Correctness never depends on this: cached lists are keyed by the person's ratings
    # (serving.ratings_stamp). Dropping them at once only frees the cache of lists that
    # can no longer be read (a deck session of 100 ratings would leave 100 behind).
    forget_cached_lists(user_id)
