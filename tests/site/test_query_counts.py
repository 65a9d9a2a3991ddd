"""Pinned query counts: a new query per card or per rating is a regression."""

import numpy as np
import pytest
from django.utils import timezone

from mangaki.models import Work
from tests.factories import RatingFactory

pytestmark = pytest.mark.django_db


def test_deck_page_queries_for_a_visitor(client, shelf, django_assert_num_queries):
    client.get("/deck/anime/")  # a session exists from now on
    with django_assert_num_queries(4):  # category, deck, the card's genres, the nav's categories
        assert client.get("/deck/anime/").status_code == 200


def test_deck_page_queries_for_a_member(client, alice, shelf, django_assert_num_queries):
    for work in shelf[:3]:
        RatingFactory(user=alice, work=work)
    client.force_login(alice)
    # session, user, category, profile (adult setting), deck, the card's genres, the nav's
    # categories
    with django_assert_num_queries(7):
        assert client.get("/deck/anime/?slot=popular").status_code == 200


def test_profile_page_queries_do_not_grow_with_ratings(
    client, alice, shelf, django_assert_num_queries
):
    client.force_login(alice)
    client.get("/u/alice/")  # the active model's version is cached (30 s) from now on
    # session, me, owner + profile, ratings, the works shown, their genres, the nav's categories
    for i, work in enumerate(shelf[:2]):
        RatingFactory(user=alice, work=work, choice=["like", "willsee"][i % 2])
    with django_assert_num_queries(7):
        assert client.get("/u/alice/").status_code == 200
    for i, work in enumerate(shelf[2:]):
        RatingFactory(user=alice, work=work, choice=["favorite", "willsee"][i % 2])
    with django_assert_num_queries(7):
        assert client.get("/u/alice/").status_code == 200


@pytest.fixture
def work_page(trained):
    """A well-known work of the trained demo, with poster embeddings on 40 works."""
    rng = np.random.default_rng(0)
    for pk in Work.objects.order_by("pk").values_list("pk", flat=True)[:40]:
        Work.objects.filter(pk=pk).update(
            poster_embedding=rng.normal(size=16).astype(np.float32).tobytes(),
            poster_tagged_at=timezone.now(),
        )
    return Work.objects.order_by("-nb_ratings", "pk").first().get_absolute_url()


def test_work_page_queries_for_a_visitor(client, work_page, django_assert_num_queries):
    client.get(work_page)  # the active model's version is cached (30 s) from now on
    # work, embeddings' count and newest, both lists' cards, the cards' genres, the nav's
    # categories, titles, tags
    with django_assert_num_queries(7):
        html = client.get(work_page).content.decode()
    assert 'id="similar-heading"' in html and 'id="looks-alike-heading"' in html


def test_work_page_queries_for_a_member(client, alice, work_page, django_assert_num_queries):
    client.force_login(alice)
    client.get(work_page)
    # + session, user, my rating, profile (adult setting), my ratings for the prediction
    with django_assert_num_queries(12):
        html = client.get(work_page).content.decode()
    assert 'id="similar-heading"' in html and 'id="looks-alike-heading"' in html


def test_taste_map_queries_do_not_grow_with_ratings(
    client, alice, trained, django_assert_num_queries
):
    from mangaki.models import Work

    works = list(Work.objects.filter(category__slug="anime").order_by("-nb_ratings")[:6])
    client.force_login(alice)
    client.get("/taste-map/anime/")  # the model, its plane and the new works' rows are cached
    # session, user, category, profile (adult setting), ratings, titles, the nav's categories,
    # and the recommendations page's list (its ratings version, the ratings, its works)
    for work in works[:2]:
        RatingFactory(user=alice, work=work, choice="like")
    with django_assert_num_queries(10):
        assert client.get("/taste-map/anime/").status_code == 200
    for work in works[2:]:
        RatingFactory(user=alice, work=work, choice="dislike")
    with django_assert_num_queries(10):
        assert client.get("/taste-map/anime/").status_code == 200


def test_recommendations_page_queries_do_not_grow_with_ratings(
    client, trained, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    from mangaki.services.ratings import rate_work

    member = get_user_model().objects.get(username="demo_0007")
    client.force_login(member)
    client.get("/recommendations/anime/")  # the model and the new works' rows are cached
    unrated = Work.objects.exclude(ratings__user=member).order_by("-nb_ratings", "pk")[:20]
    for i, work in enumerate(unrated):
        with django_capture_on_commit_callbacks(execute=True):  # drops the cached list
            rate_work(member, work.pk, ["like", "dislike"][i % 2])
        if i in (0, 19):
            # session, user, category, profile (adult setting), the ratings (for the
            # lists, the taste and the count), the count and latest date of the ratings
            # and duels (the lists' cache key), the works shown with the ones that explain
            # them, the cards' genres, the nav's categories
            with django_assert_num_queries(9):
                assert client.get("/recommendations/anime/").status_code == 200
    with django_assert_num_queries(9):  # the same lists again, from the cache
        response = client.get("/recommendations/anime/")
    assert len(response.context["items"]) == 24
    assert response.content.decode().count('<article class="card') == 24 + len(
        response.context["discover"]
    )
