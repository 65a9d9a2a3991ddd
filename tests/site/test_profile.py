import pytest
from django.contrib.auth import get_user_model

from mangaki.models import Rating
from recommender.serving import score_works
from tests.factories import RatingFactory, WorkFactory

pytestmark = pytest.mark.django_db


def test_my_profile_groups_my_ratings_by_choice(client, alice, shelf):
    RatingFactory(user=alice, work=shelf[0], choice="favorite")
    RatingFactory(user=alice, work=shelf[1], choice="dislike")
    RatingFactory(user=alice, work=shelf[2], choice="favorite")
    client.force_login(alice)
    response = client.get("/u/alice/")
    groups = {
        value: sorted(w.title for w in works) for value, _, works, _ in response.context["groups"]
    }
    assert groups == {"favorite": ["Anime 0", "Anime 2"], "dislike": ["Anime 1"]}
    assert "My profile" in response.content.decode()


def test_a_private_profile_is_404_for_others_and_a_shared_one_is_public(client, alice, bob, shelf):
    RatingFactory(user=alice, work=shelf[0], choice="like")
    client.force_login(bob)
    assert client.get("/u/alice/").status_code == 404
    client.logout()
    assert client.get("/u/alice/").status_code == 404
    alice.profile.is_shared = True
    alice.profile.save()
    response = client.get("/u/alice/")
    assert response.status_code == 200
    assert "Anime 0" in response.content.decode()
    assert client.get("/u/nobody/").status_code == 404


def test_others_do_not_see_my_adult_ratings_unless_they_opted_in(client, alice, shelf):
    alice.profile.is_shared = alice.profile.nsfw_ok = True
    alice.profile.save()
    RatingFactory(user=alice, work=WorkFactory(title="Hidden Adult", nsfw=True))
    client.force_login(alice)
    assert "Hidden Adult" in client.get("/u/alice/").content.decode()
    client.logout()
    assert "Hidden Adult" not in client.get("/u/alice/").content.decode()


def test_without_a_model_the_watchlist_keeps_the_latest_first(client, alice, shelf):
    for work in shelf[:3]:
        RatingFactory(user=alice, work=work, choice="willsee")
    client.force_login(alice)
    watchlist = client.get("/u/alice/").context["watchlist"]
    assert [(w.title, s) for w, s in watchlist] == [
        ("Anime 2", None),
        ("Anime 1", None),
        ("Anime 0", None),
    ]


def test_the_watchlist_is_ordered_by_predicted_rating(client, trained):
    user = get_user_model().objects.get(username="demo_0007")
    willsee = list(
        Rating.objects.filter(user=user, choice="willsee").values_list("work_id", flat=True)
    )
    assert len(willsee) >= 2
    expected = score_works(user, willsee)
    client.force_login(user)
    response = client.get(f"/u/{user.username}/")
    watchlist = response.context["watchlist"]
    scores = [s for _, s in watchlist]
    assert scores == sorted(scores, reverse=True)
    assert {w.pk: s for w, s in watchlist} == pytest.approx(expected)
    assert response.context["taste"]["liked"], "no taste explanation"
    assert "seem to like" in response.content.decode()


def test_a_long_profile_shows_the_latest_of_each_group_and_pages_through_one_group(client, alice):
    from datetime import timedelta

    from django.utils import timezone

    from mangaki.views.profile import GROUP_PAGE, PREVIEW

    now = timezone.now()
    n = GROUP_PAGE + 5
    for i in range(n):
        work = WorkFactory(title=f"Liked {i:03d}")
        RatingFactory(user=alice, work=work, choice="like", date=now - timedelta(minutes=i))
    client.force_login(alice)
    response = client.get("/u/alice/")
    [(value, _, works, total)] = response.context["groups"]
    assert (value, total) == ("like", n)
    assert [w.title for w in works] == [f"Liked {i:03d}" for i in range(PREVIEW)]
    assert f"See all {n}" in response.content.decode()

    first = client.get("/u/alice/?group=like")
    [(_, _, works, _)] = first.context["groups"]
    assert [w.title for w in works] == [f"Liked {i:03d}" for i in range(GROUP_PAGE)]
    second = client.get("/u/alice/?group=like&page=2")
    [(_, _, works, _)] = second.context["groups"]
    assert [w.title for w in works] == [f"Liked {i:03d}" for i in range(GROUP_PAGE, n)]
    assert second.context["taste"] is None  # one group only: no taste, no watchlist
    assert client.get("/u/alice/?group=nonsense").context["group"] is None
