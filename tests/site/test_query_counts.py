"""Pinned query counts: a new query per card or per rating is a regression."""

import pytest

from tests.factories import RatingFactory

pytestmark = pytest.mark.django_db


def test_deck_page_queries_for_a_visitor(client, shelf, django_assert_num_queries):
    client.get("/deck/anime/")  # a session exists from now on
    with django_assert_num_queries(3):  # category, deck, the nav's categories
        assert client.get("/deck/anime/").status_code == 200


def test_deck_page_queries_for_a_member(client, alice, shelf, django_assert_num_queries):
    for work in shelf[:3]:
        RatingFactory(user=alice, work=work)
    client.force_login(alice)
    # session, user, category, profile (adult setting), deck, the nav's categories
    with django_assert_num_queries(6):
        assert client.get("/deck/anime/?slot=popular").status_code == 200


def test_profile_page_queries_do_not_grow_with_ratings(
    client, alice, shelf, django_assert_num_queries
):
    client.force_login(alice)
    client.get("/u/alice/")  # the active model's version is cached (30 s) from now on
    # session, me, owner + profile, ratings with their works, the nav's categories
    for i, work in enumerate(shelf[:2]):
        RatingFactory(user=alice, work=work, choice=["like", "willsee"][i % 2])
    with django_assert_num_queries(5):
        assert client.get("/u/alice/").status_code == 200
    for i, work in enumerate(shelf[2:]):
        RatingFactory(user=alice, work=work, choice=["favorite", "willsee"][i % 2])
    with django_assert_num_queries(5):
        assert client.get("/u/alice/").status_code == 200
