"""One error format everywhere, and 4xx (never 5xx) for bad input."""

import pytest

from mangaki.api.errors import error_body
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_the_envelope_has_code_message_and_fields():
    assert error_body("invalid", "Bad.", {"choice": ["No."]}) == {
        "error": {"code": "invalid", "message": "Bad.", "fields": {"choice": ["No."]}}
    }


def test_a_single_field_error_is_also_the_message(as_alice, catalogue):
    error = assert_error(
        as_alice.put(f"/api/v1/me/ratings/{catalogue['bebop'].pk}", {}, format="json"), 400
    )
    assert error == {
        "code": "invalid",
        "message": "This field is required.",
        "fields": {"choice": ["This field is required."]},
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("put", "/api/v1/me/ratings/1", b"\xff\xfe", 400),
        ("put", "/api/v1/me/ratings/1", b'{"choice": "like"', 400),
        ("post", "/api/v1/me/ratings/bulk", b"null", 400),
        (
            "post",
            "/api/v1/me/ratings/bulk",
            b'[{"work": 99999999999999999999999, "choice": "like"}]',
            400,
        ),
        ("patch", "/api/v1/me/profile", b"[]", 400),
        ("get", "/api/v1/works?q=%00", None, 400),
        ("get", "/api/v1/users/%00", None, 404),
        ("post", "/api/v1/works", b"{}", 405),
        ("delete", "/api/v1/me/profile", None, 405),
    ],
)
def test_bad_requests_are_4xx_in_the_error_format(as_alice, catalogue, method, path, body, status):
    kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
    assert_error(getattr(as_alice, method)(path, **kwargs), status)


def test_an_unsupported_media_type_is_415(as_alice, catalogue):
    response = as_alice.put(
        f"/api/v1/me/ratings/{catalogue['bebop'].pk}",
        "choice=like",
        content_type="application/x-www-form-urlencoded",
    )
    assert_error(response, 415, "unsupported_media_type")


def test_throttling_answers_429_in_the_error_format(api, settings, catalogue):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "5/minute"},
    }
    assert api.get("/api/v1/works").status_code == 200
    assert api.get("/api/v1/works").status_code == 200
    response = api.get("/api/v1/works")
    assert_error(response, 429, "throttled")
    assert "Retry-After" in response


def test_signed_in_people_have_their_own_budget(as_alice, as_bob, settings, catalogue):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "2/minute"},
    }
    assert as_alice.get("/api/v1/works").status_code == 200
    assert as_alice.get("/api/v1/works").status_code == 200
    assert_error(as_alice.get("/api/v1/works"), 429)
    assert as_bob.get("/api/v1/works").status_code == 200
