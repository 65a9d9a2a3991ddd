"""The ratings service tells the recommender about committed changes through a signal."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from mangaki.services.ratings import rate_work, remove_rating
from mangaki.signals import ratings_changed
from recommender.serving import recommend
from recommender.training import train
from tests.factories import WorkFactory
from tests.recommendations.conftest import FAST


@pytest.fixture
def heard():
    calls = []

    def listener(sender, user_id, work_ids, **kwargs):
        calls.append((user_id, list(work_ids)))

    ratings_changed.connect(listener, dispatch_uid="tests.heard")
    yield calls
    ratings_changed.disconnect(dispatch_uid="tests.heard")


@pytest.mark.django_db
def test_a_committed_rating_is_announced_once_and_a_rolled_back_one_never(
    alice, anime, heard, django_capture_on_commit_callbacks
):
    work = WorkFactory(category=anime)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        rate_work(alice, work.pk, "like")
    assert heard == []  # nothing before the commit
    for callback in pending:
        callback()
    assert heard == [(alice.pk, [work.pk])]
    with django_capture_on_commit_callbacks(execute=True):
        remove_rating(alice, work.pk)
    assert heard[-1] == (alice.pk, [work.pk])


def test_the_recommender_drops_a_members_cached_lists_when_their_ratings_change(
    demo_site, anime, django_capture_on_commit_callbacks
):
    train("test", FAST)
    member = get_user_model().objects.get(username="demo_0007")
    first = recommend(member, category_id=anime.pk, n=10)
    recommend(member, category_id=anime.pk, n=5)
    keys = cache.get(f"recs-keys:{member.pk}")
    assert len(keys) == 2 and all(cache.get(key) is not None for key in keys)
    with django_capture_on_commit_callbacks(execute=True):
        rate_work(member, first[0].work.pk, "dislike")
    assert all(cache.get(key) is None for key in keys)
    assert cache.get(f"recs-keys:{member.pk}") is None
    # The next list is computed afresh and cached again.
    assert first[0].work.pk not in {r.work.pk for r in recommend(member, category_id=anime.pk)}
    assert len(cache.get(f"recs-keys:{member.pk}")) == 1
