"""What the browser tests share: headless Debian Chromium, the screen sizes, and the steps
every journey takes (database checks off Playwright's thread, no internet, screenshots, rating
by keyboard, signing in). The ``browser`` fixture of the site tests is in
tests/site/conftest.py."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
KEYS = "flfldnflwx"  # ten ratings, every choice used

# Every browser test module's pytestmark.
BROWSER_MARKS = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]


@contextmanager
def launched_chromium() -> Iterator:
    """Headless Debian Chromium with the flags this machine needs (skipped without
    Playwright); closed on the way out."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def db_thread(query):
    """Run a database check in a thread of its own: Playwright's sync API runs an event
    loop in this one, where Django would refuse (or leak) a connection."""

    def run():
        try:
            return query()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def offline(page, live_server) -> None:
    """No internet here: requests beyond the test server (remote posters) fail at once, so
    posters fall back to the local placeholder without waiting for a timeout."""
    page.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith(live_server.url)
        else route.abort(),
    )


def shoot(page, folder: Path, name: str) -> None:
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=False)
    page.set_viewport_size(DESKTOP)


def current_work(page) -> str:
    return page.locator(".deck-card").get_attribute("data-work")


def press(page, key: str) -> None:
    before = current_work(page)
    page.keyboard.press(key)
    page.wait_for_function(
        "w => { const c = document.querySelector('.deck-card');"
        " return c && c.dataset.work !== w && !document.getElementById('deck').ariaBusy; }",
        arg=before,
    )


def sign_in(live_server, page, username="reader"):
    db_thread(lambda: get_user_model().objects.create_user(username, password="a-Long-pass-42"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-Long-pass-42")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
