import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from mangaki.models import Rating, Work
from mangaki.services.ratings import rate_work
from recommender.facade import forget_served_models, served_model
from recommender.serving import recommend, taste, user_ratings
from recommender.training import train
from tests.factories import TaggedWorkFactory, WorkFactory
from tests.recommendations.conftest import FAST


@pytest.fixture
def trained(demo_site):
    return train("test", FAST)


@pytest.fixture
def demo_user(trained):
    return get_user_model().objects.get(username="demo_0007")


def test_no_model_means_no_recommendations_not_an_error(db, alice, models_dir):
    assert recommend(alice) == []
    assert taste(alice) == {"liked": [], "disliked": []}


def test_recommendations_exclude_rated_works_and_are_explained(demo_user, anime):
    recs = recommend(demo_user, category_id=anime.pk, n=10)
    assert len(recs) == 10
    rated = set(Rating.objects.filter(user=demo_user).values_list("work_id", flat=True))
    assert not rated & {r.work.pk for r in recs}
    # The list model's order, each work with its predicted rating shown as a choice.
    model = served_model()
    person = model.fold(user_ratings(demo_user))
    ranked = model.rank(person, model.candidates(anime.pk, exclude=rated), 10)
    assert [r.work.pk for r in recs] == [item.work_id for item in ranked]
    assert all(r.predicted_choice in {"favorite", "like", "neutral", "dislike"} for r in recs)
    assert any(r.tags for r in recs), "no recommendation explained by tags"
    assert any(r.because for r in recs), "no recommendation explained by liked works"
    liked = set(
        Rating.objects.filter(user=demo_user, choice__in=["like", "favorite"]).values_list(
            "work_id", flat=True
        )
    )
    assert all(work_id in liked for r in recs for work_id, _ in r.because)


def test_a_new_rating_changes_the_next_list_without_retraining(
    demo_user, anime, django_capture_on_commit_callbacks
):
    before = recommend(demo_user, category_id=anime.pk, n=5)
    top = before[0].work
    with django_capture_on_commit_callbacks(execute=True):
        rate_work(demo_user, top.pk, "dislike")
    after = recommend(demo_user, category_id=anime.pk, n=5)
    assert top.pk not in {r.work.pk for r in after}
    assert [r.work.pk for r in after] != [r.work.pk for r in before]


def test_adult_works_only_for_those_who_asked(demo_user, anime):
    top = recommend(demo_user, category_id=anime.pk, n=1)[0].work
    Work.objects.filter(pk=top.pk).update(nsfw=True)
    assert top.pk not in {
        r.work.pk for r in recommend(demo_user, category_id=anime.pk, n=5, exclude={-1})
    }
    demo_user.profile.nsfw_ok = True
    demo_user.profile.save()
    assert top.pk in {
        r.work.pk for r in recommend(demo_user, category_id=anime.pk, n=5, exclude={-2})
    }


def test_a_brand_new_tagged_work_is_recommended_before_any_retraining(demo_user, anime):
    liked = taste(demo_user, k=2)["liked"]
    assert liked, "the demo user should like some genres"
    new = WorkFactory(title="Brand new show")
    for name, _ in liked:
        TaggedWorkFactory(work=new, tag__name=name, source="poster", weight=1.0)
    disliked_new = WorkFactory(title="Brand new bore")
    for name, _ in taste(demo_user, k=2)["disliked"]:
        TaggedWorkFactory(work=disliked_new, tag__name=name, source="poster", weight=1.0)
    forget_served_models()  # as after FRESH_TTL seconds
    recs = recommend(demo_user, category_id=anime.pk, n=400)
    order = [r.work.title for r in recs]
    assert "Brand new show" in order
    assert "Brand new bore" not in order or order.index("Brand new show") < order.index(
        "Brand new bore"
    )
    explained = next(r for r in recs if r.work.title == "Brand new show")
    assert {name for name, _ in explained.tags} & {name for name, _ in liked}


def test_anonymous_ratings_are_folded_in_too(trained, anime):
    popular = list(Work.objects.popular()[:3])
    recs = recommend(None, ratings=[(w.pk, "favorite") for w in popular], category_id=anime.pk, n=5)
    assert len(recs) == 5
    assert not {w.pk for w in popular} & {r.work.pk for r in recs}


def test_taste_lists_liked_and_disliked_tags(demo_user):
    result = taste(demo_user, k=3)
    assert result["liked"] and all(w > 0 for _, w in result["liked"])
    assert all(w < 0 for _, w in result["disliked"])


def test_recommendations_are_cached_per_ratings_version(
    demo_user, anime, django_assert_max_num_queries
):
    first = recommend(demo_user, category_id=anime.pk, n=10)
    # Cache hit: the ratings' stamp and the works shown are read, nothing is scored.
    with django_assert_max_num_queries(2):
        recommend(demo_user, category_id=anime.pk, n=10)
    # A change the cache was never told about (its invalidation lost) still shows at once.
    Rating.objects.create(user=demo_user, work=first[0].work, choice="dislike", date=timezone.now())
    assert first[0].work.pk not in {r.work.pk for r in recommend(demo_user, category_id=anime.pk)}


def test_recommendations_page_explains_each_work(client, demo_user, django_assert_max_num_queries):
    client.force_login(demo_user)
    with django_assert_max_num_queries(12):
        response = client.get("/recommendations/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "because you liked" in body and "You seem to like" in body
    assert response.context["model_version"] in body
    assert len(response.context["items"]) == 24


def test_recommendations_page_without_a_model(client, alice, models_dir):
    client.force_login(alice)
    assert "No recommendation model" in client.get("/recommendations/").content.decode()


def test_not_interested_removes_a_work_at_once(
    client, demo_user, django_capture_on_commit_callbacks
):
    client.force_login(demo_user)
    first = client.get("/recommendations/").context["items"][0].work
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/work/{first.pk}/rate/", {"choice": "wontsee", "next": "/recommendations/"}
        )
    assert response.status_code == 302 and response["Location"] == "/recommendations/"
    assert Rating.objects.get(user=demo_user, work=first).choice == "wontsee"
    assert first.pk not in {r.work.pk for r in client.get("/recommendations/").context["items"]}
    # An outside "next" is not followed.
    response = client.post(
        f"/work/{first.pk}/rate/", {"choice": "wontsee", "next": "https://evil.example/"}
    )
    assert response["Location"] == first.get_absolute_url()


def test_recommendations_page_filters_by_popularity(client, demo_user):
    client.force_login(demo_user)
    items = client.get("/recommendations/", {"min_popularity": "5"}).context["items"]
    assert items and all(r.work.nb_ratings >= 5 for r in items)
    assert client.get("/recommendations/", {"min_popularity": "lots"}).status_code == 200


def test_works_marked_wontsee_come_back_only_when_asked(client, demo_user, anime):
    first = recommend(demo_user, category_id=anime.pk, n=1)[0].work
    rate_work(demo_user, first.pk, "wontsee")
    every = Work.objects.count()
    hidden = {r.work.pk for r in recommend(demo_user, category_id=anime.pk, n=every)}
    shown = {
        r.work.pk for r in recommend(demo_user, category_id=anime.pk, n=every, show_wontsee=True)
    }
    assert first.pk not in hidden and first.pk in shown
    # Other rated works stay out either way.
    liked = Rating.objects.filter(user=demo_user).exclude(choice="wontsee")
    assert not shown & set(liked.values_list("work_id", flat=True))

    client.force_login(demo_user)
    page = client.get("/recommendations/")  # no filter form submitted: hidden by default
    assert page.context["hide_wontsee"] and 'name="hide_wontsee" checked' in page.content.decode()
    unticked = client.get("/recommendations/", {"filtered": "1"})  # the box left unticked
    assert not unticked.context["hide_wontsee"]
    ticked = client.get("/recommendations/", {"filtered": "1", "hide_wontsee": "on"})
    assert first.pk not in {r.work.pk for r in ticked.context["items"]}


def test_loading_the_model_moves_the_warm_heap_out_of_the_collector(trained):
    import gc

    from recommender import registry

    gc.unfreeze()
    registry._loaded.clear()
    try:
        assert gc.get_freeze_count() == 0
        bundle = registry.active_bundle()
        assert bundle is not None and gc.get_freeze_count() > 0
        assert registry.active_bundle() is bundle  # loaded once: no second freeze needed
    finally:
        gc.unfreeze()
