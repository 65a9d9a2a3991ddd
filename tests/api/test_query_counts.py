"""Pinned query counts: a list costs the same number of queries for 3 rows or 30.

Signed in by token: 1 query reads the token, its user and profile together (the warm-up
request pays the once-a-minute last_used update).
"""

import pytest

from tests.api.conftest import token_client
from tests.factories import RatingFactory, TagFactory, TaggedWorkFactory, WorkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[3, 30], ids=["3-works", "30-works"])
def site(request, alice, anime, models_dir):
    tag = TagFactory(name="space", slug="space")
    works = [
        WorkFactory(title=f"Space {i}", nb_ratings=i, nb_seen=i + 3, score=i)
        for i in range(request.param)
    ]
    for work in works:
        TaggedWorkFactory(work=work, tag=tag)
        TaggedWorkFactory(work=work, tag=TagFactory(name=f"t{work.pk}", slug=f"t{work.pk}"))
    for work in works[::2]:
        RatingFactory(user=alice, work=work, choice="like")
    alice.profile.is_shared = True
    alice.profile.save()
    client = token_client(alice)
    client.get("/api/v1/me/profile")  # warm-up: records the token's last use
    client.get("/api/v1/works/autocomplete?q=space")  # warm-up: the search's title index
    return client


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/api/v1/works", 3),  # auth, count, page
        ("/api/v1/works?tag=space&q=space&type=tv&category=anime", 4),  # + titles' version
        ("/api/v1/rankings/anime/popular", 3),
        ("/api/v1/rankings/anime/top", 4),  # + the ranking's threshold
        ("/api/v1/works/autocomplete?q=space", 3),  # + the titles' version
        ("/api/v1/me/ratings", 3),
        ("/api/v1/decks/anime/popular", 3),  # auth, category, cards
        ("/api/v1/decks/anime/pearls", 4),
        ("/api/v1/decks/anime/random", 4),  # + the ids to draw from
        ("/api/v1/users/alice", 4),  # auth, user, counts, favorites
    ],
)
def test_list_endpoints_have_a_fixed_query_count(site, django_assert_num_queries, path, queries):
    with django_assert_num_queries(queries):
        response = site.get(path)
    assert response.status_code == 200, response.content


def test_work_detail_has_a_fixed_query_count(site, django_assert_num_queries):
    from mangaki.models import Work

    work = Work.objects.get(title="Space 1")
    # auth, work, titles, tags, my rating, active model version
    with django_assert_num_queries(6):
        response = site.get(f"/api/v1/works/{work.pk}")
    assert len(response.json()["tags"]) == 2
