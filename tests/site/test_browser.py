"""A new visitor's first visit, in headless Chromium: rate 10 cards by keyboard, see
explained recommendations, sign up and keep the ratings, add to the watchlist, see the
profile. Screenshots at desktop and phone width go to the test's tmp dir (and to
$MANGAKI_SCREENSHOTS when set, e.g. docs/screenshots)."""

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from mangaki.models import Rating

CHROMIUM = Path("/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
KEYS = "flfldnflwx"  # ten ratings, every choice used

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser(live_server, trained):
    # Started after the database fixtures, closed before their teardown.
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def _db(query):
    """Run a database check in a thread of its own: Playwright's sync API runs an event
    loop in this one, where Django would refuse (or leak) a connection."""

    def run():
        try:
            return query()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _shoot(page, folder: Path, name: str) -> None:
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=False)
    page.set_viewport_size(DESKTOP)


def _current_work(page) -> str:
    return page.locator(".deck-card").get_attribute("data-work")


def _press(page, key: str) -> None:
    before = _current_work(page)
    page.keyboard.press(key)
    page.wait_for_function(
        "w => { const c = document.querySelector('.deck-card');"
        " return c && c.dataset.work !== w && !document.getElementById('deck').ariaBusy; }",
        arg=before,
    )


def test_a_visitor_rates_signs_up_and_keeps_everything(browser, live_server, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser.new_page(viewport=DESKTOP)
    # No internet: remote posters fail fast to the local placeholder.
    page.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith(live_server.url)
        else route.abort(),
    )
    page.goto(f"{live_server.url}/deck/anime/?slot=popular")
    page.evaluate("window.__sameDocument = true")
    _shoot(page, shots, "deck")

    rated = []
    for key in KEYS:
        rated.append(_current_work(page))
        _press(page, key)
    assert page.locator(".deck-count").inner_text() == "10 rated"
    _press(page, "u")  # undo brings the last card back
    assert _current_work(page) == rated[-1]
    assert page.locator(".deck-count").inner_text() == "9 rated"
    _press(page, "x")
    assert page.evaluate("window.__sameDocument") is True, "the deck reloaded the page"
    assert len(set(rated)) == 10, "a rated work came back"

    page.get_by_role("link", name="See my recommendations").click()
    page.wait_for_selector(".recs .card")
    assert page.locator(".recs .card").count() == 12
    assert "because you liked" in page.locator(".recs").inner_text()
    _shoot(page, shots, "recommendations")

    page.get_by_role("link", name="Sign up to keep your 10 ratings").click()
    page.fill("#id_username", "newcomer")
    page.fill("#id_password1", "a-Long-pass-phrase-42")
    page.fill("#id_password2", "a-Long-pass-phrase-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_selector(".deck-card")
    assert "Your 10 ratings from this visit were saved" in page.content()
    user = _db(lambda: get_user_model().objects.get(username="newcomer"))
    kept = _db(lambda: list(Rating.objects.filter(user=user).values_list("work_id", flat=True)))
    assert sorted(map(str, kept)) == sorted(rated)

    wanted = _current_work(page)
    title = page.locator(".deck-title").inner_text()
    _press(page, "w")
    assert _db(lambda: Rating.objects.get(user=user, work_id=int(wanted)).choice) == "willsee"

    page.get_by_role("link", name="newcomer").click()
    page.wait_for_selector(".watchlist")
    assert title in page.locator(".watchlist").inner_text()
    assert "seem to like" in page.locator(".taste").inner_text()
    assert page.locator("section[class*='ratings-']").count() >= 5
    _shoot(page, shots, "profile")

    assert sorted(p.name for p in shots.iterdir()) == sorted(
        f"{n}-{s}.png" for n in ("deck", "recommendations", "profile") for s in ("desktop", "phone")
    )
    if os.environ.get("MANGAKI_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["MANGAKI_SCREENSHOTS"], dirs_exist_ok=True)
