"""The duel deck in headless Chromium: answered with the arrow keys and "s", and a double
click records one answer."""

import pytest

from mangaki.models import Duel
from tests.factories import RatingFactory, UserFactory, WorkFactory, category
from tests.site.browsing import BROWSER_MARKS, db_thread, launched_chromium, offline

pytestmark = BROWSER_MARKS


@pytest.fixture
def browser(live_server):
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def member(db):
    category("anime")
    user = UserFactory(username="dueller")
    for title in ("Alpha", "Beta", "Gamma", "Delta"):
        RatingFactory(user=user, work=WorkFactory(title=title), choice="like")
    return user


def _pair(page) -> tuple[str, str]:
    return (page.locator("input[name=left]").input_value(),
            page.locator("input[name=right]").input_value())  # fmt: skip


def _answers():
    return db_thread(lambda: list(Duel.objects.order_by("pk").values_list(
        "winner_id", "loser_id", "skipped")))  # fmt: skip


def test_the_keys_answer_and_a_double_click_counts_once(member, live_server, browser):
    page = browser.new_page()
    offline(page, live_server)
    page.goto(f"{live_server.url}/accounts/login/?next=/duel/anime/")
    page.fill("#id_username", "dueller")
    page.fill("#id_password", "correct horse battery")
    page.press("#id_password", "Enter")
    page.wait_for_url("**/duel/anime/")

    left, right = _pair(page)
    with page.expect_navigation():
        page.keyboard.press("ArrowLeft")
    assert _answers() == [(int(left), int(right), False)]

    left, right = _pair(page)
    with page.expect_navigation():
        page.keyboard.press("ArrowRight")
    assert _answers()[-1] == (int(right), int(left), False)

    with page.expect_navigation():
        page.keyboard.press("s")
    assert _answers()[-1][2] is True  # skipped

    with page.expect_navigation():
        page.locator("button[data-key=ArrowLeft]").dblclick()
    assert len(_answers()) == 4
    assert "Your ranking" in page.content()
