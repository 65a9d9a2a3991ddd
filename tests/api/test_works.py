import pytest

from tests.api.conftest import assert_error
from tests.factories import RatingFactory, TaggedWorkFactory

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [w["title"] for w in response.json()["results"]]


def test_it_lists_visible_works_most_rated_first_without_adult_ones(api, catalogue):
    response = api.get("/api/v1/works")
    assert response.status_code == 200
    assert titles(response) == ["Cowboy Bebop", "Akira", "Trigun", "Akira (manga)"]
    assert response.json()["count"] == 4


def test_it_shows_adult_works_to_those_who_asked(as_alice, alice, catalogue):
    alice.profile.nsfw_ok = True
    alice.profile.save()
    assert "Adult Work" in titles(as_alice.get("/api/v1/works"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=manga", ["Akira (manga)"]),
        ("type=movie", ["Akira"]),
        ("tag=space", ["Cowboy Bebop", "Trigun"]),
        ("year=1998&category=anime", ["Cowboy Bebop", "Trigun"]),
        ("q=BEBOP", ["Cowboy Bebop"]),
        ("q=kauboi", ["Cowboy Bebop"]),  # alternative title, accents ignored
        ("category=nope", []),
    ],
)
def test_it_filters_works(api, catalogue, query, expected):
    assert titles(api.get(f"/api/v1/works?{query}")) == expected


def test_it_paginates(api, catalogue):
    page = api.get("/api/v1/works?page_size=2&page=2").json()
    assert [w["title"] for w in page["results"]] == ["Trigun", "Akira (manga)"]
    assert page["previous"] and page["next"] is None
    assert_error(api.get("/api/v1/works?page=9"), 404, "not_found")


@pytest.mark.parametrize("query", ["year=abc", "type=opera", "year=99999"])
def test_it_rejects_bad_filters_with_field_errors(api, catalogue, query):
    error = assert_error(api.get(f"/api/v1/works?{query}"), 400, "invalid")
    assert list(error["fields"]) == [query.split("=")[0]]


def test_detail_has_tags_titles_distribution_and_my_rating(as_alice, alice, catalogue):
    bebop = catalogue["bebop"]
    RatingFactory(user=alice, work=bebop, choice="favorite")
    bebop.nb_favorite, bebop.nb_dislike = 3, 1
    bebop.save()
    data = as_alice.get(f"/api/v1/works/{bebop.pk}").json()
    assert data["title"] == "Cowboy Bebop"
    assert data["year"] == 1998
    assert data["tags"] == [{"name": "space", "slug": "space", "source": "metadata", "weight": 1.0}]
    assert data["titles"] == [{"title": "Kaubōi Bibappu", "language": "ja-Latn"}]
    assert data["distribution"]["favorite"] == 3
    assert data["distribution"]["dislike"] == 1
    assert data["my_rating"] == "favorite"
    assert data["similar"] == []  # no trained model


def test_detail_of_poster_tag_keeps_source_and_weight(api, catalogue):
    data = api.get(f"/api/v1/works/{catalogue['trigun'].pk}").json()
    assert data["tags"] == [{"name": "space", "slug": "space", "source": "poster", "weight": 0.6}]
    assert data["my_rating"] is None


def test_unknown_and_hidden_works_are_404_in_json(api, catalogue):
    assert_error(api.get("/api/v1/works/999999"), 404, "not_found")
    assert_error(api.get(f"/api/v1/works/{catalogue['adult'].pk}"), 404, "not_found")
    assert_error(api.get("/api/v1/works/99999999999999999999999"), 404, "not_found")
    assert_error(api.get("/api/v1/nowhere"), 404, "not_found")


def test_rankings_follow_the_queryset_rankings(api, catalogue):
    for work, score, seen in [("bebop", 2.5, 9), ("trigun", 1.0, 5), ("akira", 3.0, 7)]:
        obj = catalogue[work]
        obj.score, obj.nb_seen = score, seen
        obj.save()
    assert titles(api.get("/api/v1/rankings/anime/top")) == ["Akira", "Cowboy Bebop", "Trigun"]
    assert titles(api.get("/api/v1/rankings/anime/popular"))[0] == "Cowboy Bebop"
    assert titles(api.get("/api/v1/rankings/manga/top")) == []
    assert_error(api.get("/api/v1/rankings/anime/best"), 404)


def test_autocomplete_matches_alternative_titles_ignoring_case_and_accents(api, catalogue):
    response = api.get("/api/v1/works/autocomplete?q=BIBAPPU")
    assert response.json() == [
        {"id": catalogue["bebop"].pk, "title": "Cowboy Bebop", "category": "anime", "year": 1998}
    ]
    found = [w["title"] for w in api.get("/api/v1/works/autocomplete?q=akira").json()]
    assert sorted(found) == ["Akira", "Akira (manga)"]
    only = api.get("/api/v1/works/autocomplete?q=akira&category=manga&limit=1").json()
    assert [w["title"] for w in only] == ["Akira (manga)"]
    assert_error(api.get("/api/v1/works/autocomplete"), 400, "invalid")


def test_similar_works_come_from_the_active_model(api, trained_site):
    import numpy as np
    from django.contrib.auth.models import AnonymousUser

    from mangaki.models import Work
    from mangaki.services.similar import neighbours
    from recommender.facade import served_model

    model = served_model()
    work_id = model.work_id(0)
    data = api.get(f"/api/v1/works/{work_id}").json()
    similar = [w["id"] for w in data["similar"]]
    assert 0 < len(similar) <= 10
    assert work_id not in similar
    # Nearest first in the served model's taste space: cosine shrunk by rating counts.
    factors = model.item_vectors()
    counts = model.item_counts()[: len(factors)]
    norms = np.linalg.norm(factors, axis=1)
    mine = factors[model.row(work_id)]
    cos = (factors @ mine) / np.maximum(norms * np.linalg.norm(mine), 1e-12)
    shrunk = cos * counts / (counts + 10)
    got = [shrunk[model.row(w)] for w in similar]
    assert got == sorted(got, reverse=True)
    # The work page lists the same works, in the same order.
    page = neighbours(Work.objects.get(pk=work_id), AnonymousUser(), k=len(similar)).similar
    assert [w.pk for w in page][: len(similar)] == similar[: len(page)]


def test_a_tag_filter_does_not_duplicate_works_with_the_tag_twice(api, catalogue):
    TaggedWorkFactory(
        work=catalogue["bebop"],
        tag=catalogue["bebop"].tagged.first().tag,
        source="poster",
        weight=0.9,
    )
    assert titles(api.get("/api/v1/works?tag=space")) == ["Cowboy Bebop", "Trigun"]
