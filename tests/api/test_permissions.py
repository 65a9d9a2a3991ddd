"""Nobody reads or changes another person's ratings, private profile or tokens."""

import pytest

from mangaki.models import ApiToken, Rating
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_my_ratings_are_only_mine(as_alice, rated):
    assert as_alice.get("/api/v1/me/ratings").json()["count"] == 0
    assert_error(as_alice.get(f"/api/v1/me/ratings/{rated.work_id}"), 404)


def test_writing_a_rating_never_touches_another_persons(as_alice, alice, bob, rated):
    as_alice.put(f"/api/v1/me/ratings/{rated.work_id}", {"choice": "dislike"}, format="json")
    assert_error(as_alice.delete("/api/v1/me/ratings/999"), 404)
    as_alice.delete(f"/api/v1/me/ratings/{rated.work_id}")
    assert Rating.objects.get(user=bob, work_id=rated.work_id).choice == "like"


def test_bulk_rates_only_for_the_caller_even_if_the_body_names_someone(as_alice, bob, rated):
    body = [{"work": rated.work_id, "choice": "dislike", "user": bob.pk}]
    assert as_alice.post("/api/v1/me/ratings/bulk", body, format="json").status_code == 200
    assert Rating.objects.get(user=bob, work_id=rated.work_id).choice == "like"


def test_a_private_profile_is_indistinguishable_from_an_unknown_user(api, as_alice, bob, rated):
    private = assert_error(as_alice.get("/api/v1/users/bob"), 404)
    unknown = assert_error(as_alice.get("/api/v1/users/nobody"), 404)
    assert private == unknown
    bob.profile.is_shared = True
    bob.profile.save()
    rated.choice = "favorite"
    rated.save()
    data = api.get("/api/v1/users/bob").json()
    assert data["username"] == "bob"
    assert data["nb_ratings"] == 1
    assert data["distribution"]["favorite"] == 1
    assert [w["title"] for w in data["favorites"]] == ["Cowboy Bebop"]
    assert "nsfw_ok" not in data and "email" not in data and "research_ok" not in data


def test_a_shared_profile_hides_adult_favorites_from_visitors_who_hide_them(api, bob, catalogue):
    from tests.factories import RatingFactory

    bob.profile.is_shared = True
    bob.profile.save()
    RatingFactory(user=bob, work=catalogue["adult"], choice="favorite")
    assert api.get("/api/v1/users/bob").json()["favorites"] == []


def test_nothing_lists_users(api, as_alice, bob):
    for path in ["/api/v1/users", "/api/v1/users/", "/api/v1/users/?search=b"]:
        assert_error(as_alice.get(path), 404)
    schema = api.get("/api/v1/schema/?format=json").json()
    assert not [p for p in schema["paths"] if p.rstrip("/").endswith("/users")]


def test_my_profile_is_mine_and_only_settings_change(as_alice, alice, bob):
    response = as_alice.patch(
        "/api/v1/me/profile", {"is_shared": True, "username": "bob", "user": bob.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "username": "alice",
        "nsfw_ok": False,
        "is_shared": True,
        "research_ok": True,
    }
    alice.profile.refresh_from_db()
    bob.profile.refresh_from_db()
    assert alice.profile.is_shared and not bob.profile.is_shared
    assert as_alice.put("/api/v1/me/profile", {}, format="json").status_code == 405
    assert_error(as_alice.patch("/api/v1/me/profile", {"nsfw_ok": "maybe"}, format="json"), 400)


def test_tokens_page_shows_and_revokes_only_my_tokens(client, alice, bob):
    bobs, _key = ApiToken.objects.issue(bob, "bob's script")
    client.force_login(alice)
    page = client.get("/account/tokens/")
    assert page.status_code == 200
    assert "bob&#x27;s script" not in page.content.decode()
    assert bobs.prefix not in page.content.decode()
    assert client.post(f"/account/tokens/{bobs.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=bobs.pk).exists()


def test_tokens_page_needs_a_login(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
