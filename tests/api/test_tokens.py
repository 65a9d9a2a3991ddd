import hashlib
import re

import pytest
from rest_framework.test import APIClient

from mangaki.models import ApiToken
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_only_a_hash_and_a_prefix_of_the_key_are_stored(alice):
    token, key = ApiToken.objects.issue(alice, "phone")
    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    stored = [str(v) for v in ApiToken.objects.values()[0].values()]
    assert key not in stored


def test_a_token_authenticates_its_owner_and_records_its_use(alice):
    token, key = ApiToken.objects.issue(alice, "phone")
    response = with_key(key).get("/api/v1/me/profile")
    assert response.json()["username"] == "alice"
    token.refresh_from_db()
    assert token.last_used is not None


@pytest.mark.parametrize("header", ["Token nope", "Token", "Token a b", "token \xff"])
def test_bad_tokens_are_refused_with_401(api, alice, header):
    response = api.get("/api/v1/me/profile", HTTP_AUTHORIZATION=header)
    assert_error(response, 401, "authentication_failed")


def test_a_revoked_token_stops_working_and_others_keep_working(alice):
    phone, phone_key = ApiToken.objects.issue(alice, "phone")
    _laptop, laptop_key = ApiToken.objects.issue(alice, "laptop")
    phone.delete()
    assert_error(with_key(phone_key).get("/api/v1/me/profile"), 401)
    assert with_key(laptop_key).get("/api/v1/me/profile").status_code == 200


def test_a_deactivated_account_cannot_use_its_tokens(alice):
    _token, key = ApiToken.objects.issue(alice, "phone")
    alice.is_active = False
    alice.save()
    assert_error(with_key(key).get("/api/v1/me/profile"), 401)


def test_the_page_creates_a_token_and_shows_the_key_once(client, alice):
    client.force_login(alice)
    created = client.post("/account/tokens/", {"name": "my script"})
    assert created.status_code == 200
    key = re.search(r'<code id="new-key">([^<]+)</code>', created.content.decode()).group(1)
    token = ApiToken.objects.get(user=alice)
    assert token.name == "my script"
    assert with_key(key).get("/api/v1/me/profile").status_code == 200
    again = client.get("/account/tokens/").content.decode()
    assert key not in again and "my script" in again and token.prefix in again


def test_the_page_revokes_a_token(client, alice):
    token, key = ApiToken.objects.issue(alice, "old")
    client.force_login(alice)
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert_error(with_key(key).get("/api/v1/me/profile"), 401)


def test_the_page_refuses_a_nameless_token(client, alice):
    client.force_login(alice)
    assert client.post("/account/tokens/", {"name": "  "}).status_code == 400
    assert not ApiToken.objects.exists()
