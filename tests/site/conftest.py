"""Site fixtures: a small catalogue with known popularity, and a trained demo site."""

import pytest

from recommender.training import train
from tests.factories import WorkFactory, category
from tests.recommendations.conftest import FAST, demo_site, models_dir  # noqa: F401
from tests.site.browsing import launched_chromium


@pytest.fixture
def shelf(anime, models_dir):  # noqa: F811 - the fixture, imported above
    """Five anime, most popular first (nb_ratings 50..10), one adult work, one manga."""
    works = [
        WorkFactory(title=f"Anime {i}", nb_ratings=50 - 10 * i, work_type="tv") for i in range(5)
    ]
    WorkFactory(title="Adult", nsfw=True, nb_ratings=99)
    WorkFactory(title="A manga", category=category("manga"), nb_ratings=99)
    return works


@pytest.fixture
def trained(demo_site):  # noqa: F811 - the fixture, imported above
    return train("test", FAST)


@pytest.fixture
def browser(live_server, trained):
    # Started after the database fixtures, closed before their teardown.
    with launched_chromium() as chromium:
        yield chromium
