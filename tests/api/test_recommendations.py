import pytest
from django.contrib.auth import get_user_model

from mangaki.models import Category, Rating
from recommender.serving import recommend
from tests.api.conftest import assert_error, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_user(trained_site):
    return get_user_model().objects.get(username="demo_0007")


def test_without_a_model_the_list_is_empty_not_an_error(as_alice, anime, models_dir):
    assert as_alice.get("/api/v1/me/recommendations").json() == {
        "model_version": None,
        "results": [],
    }
    assert as_alice.get("/api/v1/me/taste").json() == {"liked": [], "disliked": []}


def test_recommendations_are_unrated_ranked_and_explained(demo_user, trained_site):
    client = token_client(demo_user)
    data = client.get("/api/v1/me/recommendations?category=anime&n=8").json()
    assert data["model_version"] == trained_site.version
    results = data["results"]
    assert len(results) == 8
    rated = set(Rating.objects.filter(user=demo_user).values_list("work_id", flat=True))
    assert not rated & {r["work"]["id"] for r in results}
    # Ranked by the list model, in the site's order; each with its predicted choice.
    page = recommend(demo_user, category_id=Category.objects.get(slug="anime").pk, n=8)
    assert [r["work"]["id"] for r in results] == [r.work.pk for r in page]
    assert all(r["predicted_choice"] in {"favorite", "like", "neutral", "dislike"} for r in results)
    assert {r["explanation"]["reason"] for r in results} <= {
        "similar",
        "popular",
        "explore",
        "taste",
    }
    assert all(r["work"]["category"] == "anime" and not r["work"]["nsfw"] for r in results)
    assert any(r["explanation"]["tags"] for r in results)
    because = [b for r in results for b in r["explanation"]["because"]]
    assert because and {b["id"] for b in because} <= rated


def test_min_popularity_filters_on_training_counts(demo_user, trained_site):
    from recommender.facade import served_model

    model = served_model()
    counts = dict(
        zip(model.catalogue.work_ids.tolist(), model.item_counts().tolist(), strict=False)
    )
    client = token_client(demo_user)
    results = client.get("/api/v1/me/recommendations?min_popularity=10&n=5").json()["results"]
    assert results and all(counts[r["work"]["id"]] >= 10 for r in results)


def test_include_nsfw_needs_the_profile_consent(demo_user, trained_site):
    from mangaki.models import Work

    Work.objects.filter(pk__in=Work.objects.order_by("-nb_ratings")[:200].values("pk")).update(
        nsfw=True
    )
    client = token_client(demo_user)
    asked = client.get("/api/v1/me/recommendations?include_nsfw=true&n=30").json()["results"]
    assert not any(r["work"]["nsfw"] for r in asked)


def test_taste_lists_liked_and_disliked_tags(demo_user):
    data = token_client(demo_user).get("/api/v1/me/taste").json()
    assert data["liked"] and all(t["weight"] > 0 for t in data["liked"])
    assert all(t["weight"] < 0 for t in data["disliked"])


@pytest.mark.parametrize(
    "query", ["n=0", "n=abc", "min_popularity=-1", "include_nsfw=perhaps", "category="]
)
def test_bad_parameters_are_400(as_alice, anime, models_dir, query):
    assert_error(as_alice.get(f"/api/v1/me/recommendations?{query}"), 400, "invalid")


def test_an_unknown_category_is_404(as_alice, anime, models_dir):
    assert_error(as_alice.get("/api/v1/me/recommendations?category=cartoons"), 404, "not_found")


def test_recommendations_and_taste_need_a_sign_in(api):
    assert_error(api.get("/api/v1/me/recommendations"), 401)
    assert_error(api.get("/api/v1/me/taste"), 401)


def test_recommendations_have_a_fixed_query_count(demo_user, django_assert_num_queries):
    client = token_client(demo_user)
    client.get("/api/v1/me/recommendations?n=5")  # warm-up: token use, model and tag matrix
    # auth, category, my ratings' stamp (the cache key), my ratings, the recommended works
    # (the model is cached in-process)
    with django_assert_num_queries(5):
        response = client.get("/api/v1/me/recommendations?n=20")
    assert len(response.json()["results"]) == 20
    # Same question again: the ranked ids are cached under the same stamp.
    with django_assert_num_queries(4):
        client.get("/api/v1/me/recommendations?n=20")


def test_taste_has_a_fixed_query_count(demo_user, django_assert_num_queries):
    client = token_client(demo_user)
    client.get("/api/v1/me/taste")  # warm-up: token use, model and tag matrix
    with django_assert_num_queries(2):  # auth, my ratings
        assert client.get("/api/v1/me/taste").json()["liked"]
