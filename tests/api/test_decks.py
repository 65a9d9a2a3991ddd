import pytest

from tests.api.conftest import assert_error
from tests.factories import RatingFactory

pytestmark = pytest.mark.django_db


def card_titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [c["title"] for c in response.json()["cards"]]


def test_a_deck_leaves_out_what_i_rated_and_adult_works(as_alice, alice, catalogue):
    RatingFactory(user=alice, work=catalogue["bebop"])
    response = as_alice.get("/api/v1/decks/anime/popular")
    assert card_titles(response) == ["Akira", "Trigun"]
    card = response.json()["cards"][0]
    assert card == {
        "id": catalogue["akira"].pk,
        "title": "Akira",
        "year": 1988,
        "type": "movie",
        "poster": None,
    }


def test_others_ratings_do_not_shrink_my_deck(as_alice, bob, catalogue):
    RatingFactory(user=bob, work=catalogue["bebop"])
    assert card_titles(as_alice.get("/api/v1/decks/anime/popular")) == [
        "Cowboy Bebop",
        "Akira",
        "Trigun",
    ]


def test_random_deck_draws_unrated_works_of_the_category(as_alice, alice, catalogue):
    RatingFactory(user=alice, work=catalogue["trigun"])
    drawn = card_titles(as_alice.get("/api/v1/decks/anime/random?n=10"))
    assert sorted(drawn) == ["Akira", "Cowboy Bebop"]
    assert len(card_titles(as_alice.get("/api/v1/decks/anime/random?n=1"))) == 1


def test_ranked_slots_use_the_rankings(api, catalogue):
    for name, (score, seen, like, dislike) in {
        "bebop": (2.0, 9, 4, 4),
        "trigun": (1.0, 3, 3, 0),  # seen by few and liked: a pearl
        "akira": (3.0, 7, 5, 0),
    }.items():
        work = catalogue[name]
        work.score, work.nb_seen, work.nb_like, work.nb_dislike = score, seen, like, dislike
        work.controversy = 1.0 if name == "bebop" else 0.0
        work.save()
    assert card_titles(api.get("/api/v1/decks/anime/top")) == ["Akira", "Cowboy Bebop", "Trigun"]
    assert card_titles(api.get("/api/v1/decks/anime/controversial")) == ["Cowboy Bebop"]
    assert card_titles(api.get("/api/v1/decks/anime/pearls")) == ["Trigun"]


def test_unknown_category_slot_or_size_is_a_4xx(api, catalogue):
    assert_error(api.get("/api/v1/decks/cartoons/popular"), 404)
    assert_error(api.get("/api/v1/decks/anime/favourites"), 404)
    assert_error(api.get("/api/v1/decks/anime/popular?n=0"), 400, "invalid")
