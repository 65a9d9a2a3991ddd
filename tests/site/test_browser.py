"""A new visitor's first visit, in headless Chromium: rate 10 cards by keyboard, see
explained recommendations, sign up and keep the ratings, add to the watchlist, see the
profile, find a work by an alternative title from the header's suggestions, explore the taste
map. Screenshots at desktop and phone width go to the test's tmp dir (and to
$MANGAKI_SCREENSHOTS when set, e.g. docs/screenshots)."""

import math
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from mangaki.models import Rating, Work, WorkTitle

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


def _offline(page, live_server) -> None:
    """No internet here: requests beyond the test server (remote posters) fail at once, so
    posters fall back to the local placeholder without waiting for a timeout."""
    page.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith(live_server.url)
        else route.abort(),
    )


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
    _offline(page, live_server)
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
    page.set_viewport_size(PHONE)  # the first recommendations start on the first screen
    assert page.locator(".recs .card").first.bounding_box()["y"] < PHONE["height"] / 2
    page.set_viewport_size(DESKTOP)
    _shoot(page, shots, "recommendations")

    page.get_by_role("link", name="Sign up to keep your 10 ratings").click()
    page.fill("#id_username", "newcomer")
    page.fill("#id_password1", "a-Long-pass-phrase-42")
    page.fill("#id_password2", "a-Long-pass-phrase-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_selector(".deck-card")
    assert "10 ratings from this visit were added to your account" in page.content()
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

    # Search by an alternative title, choose the suggestion with the keyboard.
    kimi = _db(lambda: Work.objects.get(title="Kimi no Na wa."))
    _db(lambda: WorkTitle.objects.create(work=kimi, title="Your Name", language="en"))
    page.locator("#q").press_sequentially("your na", delay=40)
    first = page.locator("#q-suggestions [role=option]").first
    first.wait_for()
    assert page.locator("#q").get_attribute("aria-expanded") == "true"
    assert "Kimi no Na wa." in first.inner_text()
    assert "also known as Your Name" in first.inner_text()
    page.keyboard.press("ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    assert page.locator("#q").get_attribute("aria-activedescendant") == first.get_attribute("id")
    _shoot(page, shots, "search")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/work/{kimi.pk}/")
    assert "Kimi no Na wa." in page.locator("h1").inner_text()

    # The taste map: the person's place, named regions, a title on hover, a work on click.
    page.get_by_role("link", name="Taste map").click()
    page.wait_for_selector(".taste-map-plot circle")
    assert page.locator(".taste-map-plot .you-marker").count() == 1
    assert page.locator(".taste-map-plot .region-label").count() >= 2
    assert page.locator(".taste-map-plot circle.near").count() >= 1
    assert page.locator(".taste-map-plot circle.rated").count() >= 5
    payload = page.evaluate("JSON.parse(document.getElementById('taste-map-data').textContent)")
    dot = page.locator(".taste-map-plot circle.rated").last  # rated dots are drawn on top
    work_id, _, _, title, *_ = payload["works"][int(dot.get_attribute("data-i"))]
    page.locator(".taste-map").evaluate("figure => figure.scrollIntoView()")
    dot.hover()
    assert title in page.locator("#taste-map-tip").inner_text()
    _shoot(page, shots, "taste-map")
    # From the keyboard: focus starts at the person's place, arrows move, the tip says where.
    page.locator(".taste-map-plot").focus()
    first_tip = page.locator("#taste-map-tip").inner_text()
    page.keyboard.press("ArrowRight")
    assert page.locator("#taste-map-tip").inner_text() not in ("", first_tip)
    assert page.get_by_role("heading", name="The map as a list").count() == 1
    dot.hover()
    dot.click()
    page.wait_for_url(f"**/work/{work_id}/")

    # On a phone a first tap near a dot shows its title, a second one opens the work.
    phone = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True).new_page()
    _offline(phone, live_server)
    phone.goto(f"{live_server.url}/taste-map/anime/")
    payload = phone.evaluate("JSON.parse(document.getElementById('taste-map-data').textContent)")
    points = [(x, y) for _, x, y, *_ in payload["works"]]
    # The dot furthest from any other, so that a finger's imprecision cannot matter.
    lonely = max(
        range(len(points)),
        key=lambda i: min(math.dist(points[i], q) for j, q in enumerate(points) if j != i),
    )
    dot = phone.locator(f".taste-map-plot circle[data-i='{lonely}']")
    work_id, _, _, title, *_ = payload["works"][lonely]
    dot.tap()
    assert title in phone.locator("#taste-map-tip").inner_text()
    dot.tap()
    phone.wait_for_url(f"**/work/{work_id}/")
    phone.context.close()

    assert sorted(p.name for p in shots.iterdir()) == sorted(
        f"{n}-{s}.png"
        for n in ("deck", "recommendations", "profile", "search", "taste-map")
        for s in ("desktop", "phone")
    )
    if os.environ.get("MANGAKI_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["MANGAKI_SCREENSHOTS"], dirs_exist_ok=True)


# A first visit that convinces: the phone layout, focus, contrast, French header, pictures.

CONTRAST_JS = """
(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => p - q);
    return (y + 0.05) / (x + 0.05);
  };
  const back = rgb(getComputedStyle(el).backgroundColor);
  const kbd = el.querySelector("kbd");
  return {
    text: ratio(rgb(getComputedStyle(el).color), back),
    hint: kbd ? ratio(rgb(getComputedStyle(kbd).color), back) : null,
  };
}
"""


def _member(live_server, page, username="reader"):
    _db(lambda: get_user_model().objects.create_user(username, password="a-Long-pass-42"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-Long-pass-42")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def test_on_a_phone_the_header_is_a_menu_and_a_whole_card_fits_one_screen(browser, live_server):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    _offline(page, live_server)
    page.goto(f"{live_server.url}/deck/anime/?slot=popular")
    assert page.locator("header.site").bounding_box()["height"] <= 70
    toggle = page.locator("header.site .menu-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="Log in").is_visible()

    for _ in range(3):  # every card, whatever its title's length
        buttons = page.locator(".deck-card .choices button")
        assert buttons.count() == 6
        for i in range(6):
            box = buttons.nth(i).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], i
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], i
        count = page.locator(".deck-count").bounding_box()
        assert count["y"] + count["height"] <= PHONE["height"]
        assert not page.locator(".deck-card kbd").first.is_visible()  # no key hints on touch
        assert not page.locator(".key-hints").is_visible()
        before = _current_work(page)
        page.locator(".deck-card button.like").tap()
        page.wait_for_function(
            "w => document.querySelector('.deck-card').dataset.work !== w", arg=before
        )

    toggle.tap()
    assert toggle.get_attribute("aria-expanded") == "true"
    login = page.get_by_role("link", name="Log in")
    assert login.is_visible()
    assert "next=/deck/anime/" in login.get_attribute("href")
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
    context.close()

    # Without JavaScript the links show and the button stays hidden.
    plain = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    plain.goto(f"{live_server.url}/deck/anime/")
    assert plain.get_by_role("link", name="Log in").is_visible()
    assert not plain.locator("header.site .menu-toggle").is_visible()
    plain.context.close()


def test_focus_stays_on_the_choice_after_rating_with_enter(browser, live_server):
    page = browser.new_page(viewport=DESKTOP)
    _offline(page, live_server)
    page.goto(f"{live_server.url}/deck/anime/?slot=popular")
    for value in ("like", "willsee"):
        before = _current_work(page)
        page.locator(f".deck-card button.{value}").focus()
        page.keyboard.press("Enter")
        page.wait_for_function(
            "w => document.querySelector('.deck-card').dataset.work !== w"
            " && !document.getElementById('deck').ariaBusy",
            arg=before,
        )
        focused = page.evaluate(
            "() => { const a = document.activeElement;"
            " return [a.tagName, a.value, a.closest('.deck-card')?.dataset.work]; }"
        )
        assert focused == ["BUTTON", value, _current_work(page)]
    page.keyboard.press("u")  # undo: the undo button keeps the focus
    page.wait_for_function("() => !document.getElementById('deck').ariaBusy")
    assert page.evaluate("document.activeElement.dataset.key") == "u"


def test_pressed_choices_and_their_key_hints_reach_aa_contrast(browser, live_server):
    page = browser.new_page(viewport=DESKTOP)
    _offline(page, live_server)
    work = _db(lambda: Work.objects.order_by("-nb_ratings").first())
    for value in ("favorite", "like", "neutral", "dislike", "willsee", "wontsee"):
        page.goto(f"{live_server.url}{work.get_absolute_url()}")  # visitors rate here too
        page.locator(f".choices button.{value}").click()
        page.wait_for_load_state()
        pressed = page.locator(f".choices button.{value}[aria-pressed=true]")
        contrast = pressed.evaluate(CONTRAST_JS)
        assert contrast["text"] >= 4.5, (value, contrast)
        assert contrast["hint"] >= 4.5, (value, contrast)


def test_the_french_header_fits_one_row_at_desktop_width(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    _offline(page, live_server)
    _member(live_server, page, username="lectrice")
    page.goto(f"{live_server.url}/anime/")
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert page.locator("header.site").bounding_box()["height"] <= 60
    tops = page.locator("header.site nav > a, header.site nav button").evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    )
    assert max(tops) - min(tops) <= 12, tops
    context.close()


def test_a_first_visit_in_pictures_with_a_drawn_poster_for_each_work(
    browser, live_server, tmp_path
):
    """Home, deck, first recommendations, a work page and the profile, at desktop and phone
    width: what docs/screenshots shows (MANGAKI_SCREENSHOTS=docs/screenshots)."""
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser.new_page(viewport=DESKTOP)
    _offline(page, live_server)
    page.goto(live_server.url)
    assert page.title() == "Anime and manga recommendations that say why · Mangaki"
    start = page.get_by_role("link", name="Rate your first works")
    assert start.is_visible()
    posters = page.locator("img.poster").evaluate_all("els => els.map(e => e.currentSrc)")
    assert all(p.startswith("data:image/svg+xml") for p in posters)
    assert len(set(posters)) > 8  # each work drawn its own way
    assert page.locator("img.poster").first.evaluate("img => img.naturalWidth") == 225
    _shoot(page, shots, "home")

    start.click()
    page.wait_for_selector(".deck-card .genres")
    _shoot(page, shots, "deck")
    for key in KEYS:
        _press(page, key)
    page.get_by_role("link", name="See my recommendations").click()
    page.wait_for_selector(".recs .card")
    assert "because you liked" in page.locator(".recs").inner_text()
    page.set_viewport_size(PHONE)  # the first recommendations start on the first screen
    assert page.locator(".recs .card").first.bounding_box()["y"] < PHONE["height"] / 2
    page.set_viewport_size(DESKTOP)
    _shoot(page, shots, "recommendations")

    page.locator(".recs .card a").first.click()
    page.wait_for_selector(".work h1")
    assert page.locator(".work .predicted").count() == 1  # the visit's ratings predict it
    _shoot(page, shots, "work")

    page.locator("header.site").get_by_role("link", name="Sign up").click()
    page.fill("#id_username", "pictured")
    page.fill("#id_password1", "a-Long-pass-phrase-42")
    page.fill("#id_password2", "a-Long-pass-phrase-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_selector(".work h1")  # back where the visitor was
    page.get_by_role("link", name="pictured").click()
    page.wait_for_selector(".watchlist")
    _shoot(page, shots, "profile")
    if os.environ.get("MANGAKI_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["MANGAKI_SCREENSHOTS"], dirs_exist_ok=True)


def test_a_members_recommendations_start_on_the_first_phone_screen(browser, live_server):
    from tests.factories import RatingFactory

    def rate():
        user = get_user_model().objects.create_user("phoner", password="a-Long-pass-42")
        for work in Work.objects.order_by("-nb_ratings")[:12]:
            RatingFactory(user=user, work=work, choice="like")

    _db(rate)
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    _offline(page, live_server)
    page.goto(f"{live_server.url}/accounts/login/?next=/recommendations/")
    page.fill("#id_username", "phoner")
    page.fill("#id_password", "a-Long-pass-42")
    page.locator("main button[type=submit]").tap()
    page.wait_for_selector(".grid .card")
    first = page.locator(".grid .card").first.bounding_box()
    assert first["y"] < PHONE["height"] * 0.75, first
    assert page.title() == "Recommended anime for you · Mangaki"
    context.close()
