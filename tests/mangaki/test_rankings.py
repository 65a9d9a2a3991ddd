import pytest

from mangaki.models import Work
from mangaki.models.rankings import ranking_thresholds
from mangaki.services.counters import counters_from_counts
from tests.factories import WorkFactory


def _work(title, **counts):
    return WorkFactory(title=title, **counters_from_counts(counts))


def test_score_and_controversy_follow_the_original_formulas():
    c = counters_from_counts(
        {"favorite": 2, "like": 4, "neutral": 1, "dislike": 3, "willsee": 5, "wontsee": 1}
    )
    assert c["nb_seen"] == 10 and c["nb_ratings"] == 16
    assert c["score"] == pytest.approx((5 * 2 + 2.5 * 4 - 2 * 3 - 0.1 * 1 + 0.5 * 5 - 0.5 * 1) / 10)
    assert c["controversy"] == pytest.approx((6 + 3) ** 0.5)
    assert counters_from_counts({})["score"] == 0.0
    assert counters_from_counts({"like": 5})["controversy"] == 0.0


def test_thresholds_scale_with_the_most_seen_work():
    assert ranking_thresholds(1462) == {"top_min": 74, "pearls_min": 30, "pearls_max": 126}
    small = ranking_thresholds(40)
    assert small["top_min"] == 3 and small["pearls_min"] == 3 and small["pearls_max"] == 3


@pytest.mark.django_db
def test_top_requires_enough_seen_ratings_then_sorts_by_score():
    _work("Blockbuster", like=80, dislike=20)  # max seen = 100: top needs >= 5
    _work("Masterpiece", favorite=6, like=2)
    _work("Too rare", favorite=4)
    _work("Meh", neutral=10)
    titles = [w.title for w in Work.objects.top()]
    assert titles == ["Masterpiece", "Blockbuster", "Meh"]


@pytest.mark.django_db
def test_pearls_are_liked_but_little_known():
    _work("Famous", like=90, dislike=10)  # pearls window for max 100: 2..9 seen
    _work("Hidden gem", like=8)
    _work("Divisive gem", like=5, dislike=3)
    _work("Almost gem", like=7, dislike=0, neutral=1)
    _work("Nobody", like=1)
    assert [w.title for w in Work.objects.pearls()] == ["Hidden gem", "Almost gem"]


@pytest.mark.django_db
def test_popular_and_controversial_orders():
    _work("Loved", like=50)
    _work("Split", like=20, dislike=20)
    _work("Mostly liked", like=30, dislike=5)
    assert [w.title for w in Work.objects.popular()][:3] == ["Loved", "Split", "Mostly liked"]
    assert [w.title for w in Work.objects.controversial()] == ["Split", "Mostly liked"]


@pytest.mark.django_db
def test_rankings_compose_with_category_filters(anime):
    _work("An anime", like=10)
    assert Work.objects.filter(category__slug="manga").top().count() == 0
    assert Work.objects.filter(category__slug="anime").top()[:8][0].title == "An anime"


@pytest.mark.django_db
@pytest.mark.parametrize("ranking", ["top", "pearls", "popular", "controversial"])
def test_page_api_and_deck_rank_the_same_works_for_a_person_hiding_adult_works(
    client, alice, anime, ranking
):
    from rest_framework.test import APIClient

    from mangaki.services.decks import deck

    # The adult work is the most seen: ranked before filtering, it would set the thresholds
    # (top would need 50 seen, pearls 21..86) and push "Rare gem" out of both.
    WorkFactory(title="Adult hit", nsfw=True, **counters_from_counts({"like": 900, "dislike": 100}))
    _work("Rare gem", like=10)
    _work("Small", like=3, dislike=1)
    _work("Known", like=120, dislike=30)
    _work("Split", like=5, dislike=5)
    assert not alice.profile.nsfw_ok
    client.force_login(alice)
    api = APIClient()
    api.force_authenticate(alice)

    page = client.get(f"/anime/?sort={ranking}").context["page"]
    listed = api.get(f"/api/v1/rankings/anime/{ranking}").json()["results"]
    cards = deck(alice, anime, ranking, n=20)

    expected = [w.title for w in getattr(Work.objects.filter(nsfw=False), ranking)()]
    assert expected, "the fixture must rank some works"
    assert [w.title for w in page] == expected
    assert [w["title"] for w in listed] == expected
    assert [w.title for w in cards] == expected
