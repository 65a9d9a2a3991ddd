"""API fixtures: clients signed in by token, and a small catalogue with known rankings."""

import datetime

import pytest
from rest_framework.test import APIClient

from mangaki.models import ApiToken, WorkTitle
from tests.factories import RatingFactory, TagFactory, TaggedWorkFactory, WorkFactory, category
from tests.recommendations.conftest import demo_site, models_dir  # noqa: F401


@pytest.fixture
def api():
    """An anonymous client."""
    return APIClient()


def token_client(user) -> APIClient:
    _token, key = ApiToken.objects.issue(user, "tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def as_alice(alice):
    return token_client(alice)


@pytest.fixture
def as_bob(bob):
    return token_client(bob)


@pytest.fixture
def catalogue(anime):
    """Three visible anime, one adult work, one manga; tags and an alternative title."""
    bebop = WorkFactory(
        title="Cowboy Bebop", work_type="tv", start_date=datetime.date(1998, 4, 3), nb_ratings=9
    )
    WorkTitle.objects.create(work=bebop, title="Kaubōi Bibappu", language="ja-Latn")
    trigun = WorkFactory(
        title="Trigun", work_type="tv", start_date=datetime.date(1998, 4, 1), nb_ratings=5
    )
    akira = WorkFactory(
        title="Akira", work_type="movie", start_date=datetime.date(1988, 7, 16), nb_ratings=7
    )
    adult = WorkFactory(title="Adult Work", nsfw=True, nb_ratings=20)

    manga = WorkFactory(title="Akira (manga)", category=category("manga"), work_type="manga")
    space = TagFactory(name="space", slug="space")
    TaggedWorkFactory(work=bebop, tag=space)
    TaggedWorkFactory(work=trigun, tag=space, source="poster", weight=0.6)
    return {"bebop": bebop, "trigun": trigun, "akira": akira, "adult": adult, "manga": manga}


@pytest.fixture
def rated(catalogue, bob):
    """Bob likes Bebop (a rating no one else may see or change)."""
    return RatingFactory(user=bob, work=catalogue["bebop"], choice="like")


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is an error in the API's one format."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def trained_site(demo_site):  # noqa: F811 (the fixture imported above)
    """The demo catalogue with an active model (a few seconds to train)."""
    from recommender.training import train
    from tests.recommendations.conftest import FAST

    return train("test", FAST)
