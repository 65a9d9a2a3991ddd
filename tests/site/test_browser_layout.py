"""A first visit that convinces, in headless Chromium: the phone layout, focus after rating,
contrast of the pressed choices, the French header, the first visit in pictures and a
member's recommendations on a phone."""

import os
import shutil

from django.contrib.auth import get_user_model

from mangaki.models import Work
from tests.site.browsing import (
    BROWSER_MARKS,
    DESKTOP,
    KEYS,
    PHONE,
    current_work,
    db_thread,
    offline,
    press,
    shoot,
    sign_in,
)

pytestmark = BROWSER_MARKS

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


def test_on_a_phone_the_header_is_a_menu_and_a_whole_card_fits_one_screen(browser, live_server):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    offline(page, live_server)
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
        before = current_work(page)
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
    offline(page, live_server)
    page.goto(f"{live_server.url}/deck/anime/?slot=popular")
    for value in ("like", "willsee"):
        before = current_work(page)
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
        assert focused == ["BUTTON", value, current_work(page)]
    page.keyboard.press("u")  # undo: the undo button keeps the focus
    page.wait_for_function("() => !document.getElementById('deck').ariaBusy")
    assert page.evaluate("document.activeElement.dataset.key") == "u"


def test_pressed_choices_and_their_key_hints_reach_aa_contrast(browser, live_server):
    page = browser.new_page(viewport=DESKTOP)
    offline(page, live_server)
    work = db_thread(lambda: Work.objects.order_by("-nb_ratings").first())
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
    offline(page, live_server)
    sign_in(live_server, page, username="lectrice")
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
    offline(page, live_server)
    page.goto(live_server.url)
    assert page.title() == "Anime and manga recommendations that say why · Mangaki"
    start = page.get_by_role("link", name="Rate your first works")
    assert start.is_visible()
    posters = page.locator("img.poster").evaluate_all("els => els.map(e => e.currentSrc)")
    assert all(p.startswith("data:image/svg+xml") for p in posters)
    assert len(set(posters)) > 8  # each work drawn its own way
    assert page.locator("img.poster").first.evaluate("img => img.naturalWidth") == 225
    shoot(page, shots, "home")

    start.click()
    page.wait_for_selector(".deck-card .genres")
    shoot(page, shots, "deck")
    for key in KEYS:
        press(page, key)
    page.get_by_role("link", name="See my recommendations").click()
    page.wait_for_selector(".recs .card")
    assert "because you liked" in page.locator(".recs").inner_text()
    page.set_viewport_size(PHONE)  # the first recommendations start on the first screen
    assert page.locator(".recs .card").first.bounding_box()["y"] < PHONE["height"] / 2
    page.set_viewport_size(DESKTOP)
    shoot(page, shots, "recommendations")

    page.locator(".recs .card a").first.click()
    page.wait_for_selector(".work h1")
    assert page.locator(".work .predicted").count() == 1  # the visit's ratings predict it
    shoot(page, shots, "work")

    page.locator("header.site").get_by_role("link", name="Sign up").click()
    page.fill("#id_username", "pictured")
    page.fill("#id_password1", "a-Long-pass-phrase-42")
    page.fill("#id_password2", "a-Long-pass-phrase-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_selector(".work h1")  # back where the visitor was
    page.get_by_role("link", name="pictured").click()
    page.wait_for_selector(".watchlist")
    shoot(page, shots, "profile")
    if os.environ.get("MANGAKI_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["MANGAKI_SCREENSHOTS"], dirs_exist_ok=True)


def test_a_members_recommendations_start_on_the_first_phone_screen(browser, live_server):
    from tests.factories import RatingFactory

    def rate():
        user = get_user_model().objects.create_user("phoner", password="a-Long-pass-42")
        for work in Work.objects.order_by("-nb_ratings")[:12]:
            RatingFactory(user=user, work=work, choice="like")

    db_thread(rate)
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    offline(page, live_server)
    page.goto(f"{live_server.url}/accounts/login/?next=/recommendations/")
    page.fill("#id_username", "phoner")
    page.fill("#id_password", "a-Long-pass-42")
    page.locator("main button[type=submit]").tap()
    page.wait_for_selector(".grid .card")
    first = page.locator(".grid .card").first.bounding_box()
    assert first["y"] < PHONE["height"] * 0.75, first
    assert page.title() == "Recommended anime for you · Mangaki"
    context.close()
