"""A trained tiny model on the demo catalogue's first works, and members who share their
profile (the simulated demo users do) or not (the standard actors)."""

import pytest
from django.contrib.auth import get_user_model

from recommender.training import train
from tests.recommendations.conftest import FAST, demo_site, models_dir  # noqa: F401


@pytest.fixture
def trained(demo_site):  # noqa: F811
    return train("test", FAST)


def demo(number: int):
    return get_user_model().objects.get(username=f"demo_{number:04d}")


@pytest.fixture(autouse=True)
def _english():
    """Messages are read in English, whatever language an earlier test left active."""
    from django.utils import translation

    with translation.override("en"):
        yield
