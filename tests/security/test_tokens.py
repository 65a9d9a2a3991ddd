"""Invalid API tokens count against the sender's address: past the limit, its token requests
get 429 (DRF authenticates before it throttles, so they used to be answered 401 forever)."""

import pytest

from mangaki.models import ApiToken

pytestmark = pytest.mark.django_db


def test_invalid_api_tokens_are_throttled_per_address(api_client_factory):
    statuses = [
        api_client_factory(f"Token wrong{i}").get("/api/v1/me/profile").status_code
        for i in range(25)
    ]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}


def test_a_valid_token_from_another_address_still_works(api_client_factory, alice):
    for i in range(21):
        api_client_factory(f"Token wrong{i}").get("/api/v1/me/profile")
    _token, key = ApiToken.objects.issue(alice, "script")
    ok = api_client_factory(f"Token {key}", REMOTE_ADDR="198.51.100.7").get("/api/v1/me/profile")
    assert ok.status_code == 200


@pytest.fixture
def api_client_factory():
    from rest_framework.test import APIClient

    def make(header, **extra):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header, **extra)
        return client

    return make
