"""One rule for who sees a profile, on the page and in the API (services/profiles.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from mangaki.services.profiles import profile_visible_to

pytestmark = pytest.mark.django_db


def _answers(client, api, username: str) -> tuple[int, int]:
    return client.get(f"/u/{username}/").status_code, api.get(
        f"/api/v1/users/{username}"
    ).status_code


@pytest.mark.parametrize(
    ("shared", "active", "visible"),
    [(True, True, True), (False, True, False), (True, False, False), (False, False, False)],
)
def test_page_and_api_agree_on_whose_profile_others_see(
    client, alice, bob, shared, active, visible
):
    alice.profile.is_shared = shared
    alice.profile.save()
    alice.is_active = active
    alice.save()
    api = APIClient()
    api.force_authenticate(bob)
    client.force_login(bob)
    expected = 200 if visible else 404
    assert _answers(client, api, "alice") == (expected, expected)
    assert profile_visible_to(alice, bob) is visible
    assert profile_visible_to(alice, AnonymousUser()) is visible


def test_an_owner_sees_their_own_private_profile_on_the_page_and_in_the_api(client, alice):
    assert not alice.profile.is_shared
    api = APIClient()
    api.force_authenticate(alice)
    client.force_login(alice)
    assert _answers(client, api, "alice") == (200, 200)


def test_an_unknown_name_answers_like_a_hidden_profile(client, bob):
    api = APIClient()
    api.force_authenticate(bob)
    client.force_login(bob)
    assert _answers(client, api, "nobody") == (404, 404)
