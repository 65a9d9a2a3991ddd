import pytest
from django.contrib.auth import get_user_model

from mangaki.models import Rating, Work
from mangaki.services.onboarding import SESSION_KEY
from tests.factories import RatingFactory, UserFactory

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def rate_from_deck(client, works, choice="like"):
    for work in works:
        response = client.post("/deck/anime/rate/", {"work": work.pk, "choice": choice}, **JSON)
        assert response.status_code == 200


def test_signup_moves_the_session_ratings_into_the_new_account(client, shelf):
    rate_from_deck(client, shelf[:2], "like")
    rate_from_deck(client, shelf[2:3], "willsee")
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "password1": "s3cret-Pass-word", "password2": "s3cret-Pass-word"},
        follow=True,
    )
    assert response.status_code == 200
    user = get_user_model().objects.get(username="newbie")
    assert dict(Rating.objects.filter(user=user).values_list("work_id", "choice")) == {
        shelf[0].pk: "like",
        shelf[1].pk: "like",
        shelf[2].pk: "willsee",
    }
    assert SESSION_KEY not in client.session
    assert "3 ratings from this visit were added to your account" in response.content.decode()


def test_login_adds_the_visits_ratings_but_the_account_keeps_its_own(client, shelf):
    user = UserFactory(username="dora")
    RatingFactory(user=user, work=shelf[0], choice="dislike")
    rate_from_deck(client, shelf[:2], "favorite")
    response = client.post(
        "/accounts/login/", {"username": "dora", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert dict(Rating.objects.filter(user=user).values_list("work_id", "choice")) == {
        shelf[0].pk: "dislike",  # the account's rating wins (a shared browser's visit)
        shelf[1].pk: "favorite",
    }


def test_a_deleted_work_does_not_break_sign_up(client, shelf):
    rate_from_deck(client, shelf[:2])
    Work.objects.filter(pk=shelf[0].pk).delete()
    client.post(
        "/accounts/signup/",
        {"username": "newbie", "password1": "s3cret-Pass-word", "password2": "s3cret-Pass-word"},
    )
    assert list(Rating.objects.values_list("work_id", flat=True)) == [shelf[1].pk]


def test_signup_ignores_an_offsite_next(client, anime):
    response = client.post(
        "/accounts/signup/?next=https://evil.example/",
        {"username": "newbie", "password1": "s3cret-Pass-word", "password2": "s3cret-Pass-word"},
    )
    assert response["Location"] == "/"


def test_visitor_recommendations_wait_for_ten_ratings(client, shelf):
    rate_from_deck(client, shelf[:3])
    html = client.get("/deck/anime/recommendations/").content.decode()
    assert "Rate 7 more works" in html


def test_after_ten_ratings_a_visitor_sees_explained_recommendations(client, trained, anime):
    works = list(Work.objects.filter(category=anime, nsfw=False).popular()[:10])
    rate_from_deck(client, works[:5], "favorite")
    deck_html = client.get("/deck/anime/").content.decode()
    assert "See my recommendations" not in deck_html
    rate_from_deck(client, works[5:], "dislike")
    assert "See my recommendations" in client.get("/deck/anime/").content.decode()
    response = client.get("/deck/anime/recommendations/")
    items = response.context["items"]
    assert len(items) == 12
    assert not {r.work.pk for r in items} & {w.pk for w in works}
    assert any(r.because for r in items)
    assert all(t for r in items for _, t in r.because if t)
    liked = {w.title for w in works[:5]}
    assert {t for r in items for _, t in r.because} <= liked
    assert "Sign up to keep your 10 ratings" in response.content.decode()


def test_signed_in_people_go_to_their_own_recommendations(client, alice, anime):
    client.force_login(alice)
    response = client.get("/deck/anime/recommendations/")
    assert response.status_code == 302
    assert response["Location"] == "/recommendations/anime/"
