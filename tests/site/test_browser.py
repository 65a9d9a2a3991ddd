"""A new visitor's first visit, in headless Chromium: rate 10 cards by keyboard, see
explained recommendations, sign up and keep the ratings, add to the watchlist, see the
profile, find a work by an alternative title from the header's suggestions, explore the taste
map. Screenshots at desktop and phone width go to the test's tmp dir (and to
$MANGAKI_SCREENSHOTS when set, e.g. docs/screenshots)."""

import math
import os
import shutil

from django.contrib.auth import get_user_model

from mangaki.models import Rating, Work, WorkTitle
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
)

pytestmark = BROWSER_MARKS


def test_a_visitor_rates_signs_up_and_keeps_everything(browser, live_server, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser.new_page(viewport=DESKTOP)
    offline(page, live_server)
    page.goto(f"{live_server.url}/deck/anime/?slot=popular")
    page.evaluate("window.__sameDocument = true")
    shoot(page, shots, "deck")

    rated = []
    for key in KEYS:
        rated.append(current_work(page))
        press(page, key)
    assert page.locator(".deck-count").inner_text() == "10 rated"
    press(page, "u")  # undo brings the last card back
    assert current_work(page) == rated[-1]
    assert page.locator(".deck-count").inner_text() == "9 rated"
    press(page, "x")
    assert page.evaluate("window.__sameDocument") is True, "the deck reloaded the page"
    assert len(set(rated)) == 10, "a rated work came back"

    page.get_by_role("link", name="See my recommendations").click()
    page.wait_for_selector(".recs .card")
    assert page.locator(".recs .card").count() == 12
    assert "because you liked" in page.locator(".recs").inner_text()
    page.set_viewport_size(PHONE)  # the first recommendations start on the first screen
    assert page.locator(".recs .card").first.bounding_box()["y"] < PHONE["height"] / 2
    page.set_viewport_size(DESKTOP)
    shoot(page, shots, "recommendations")

    page.get_by_role("link", name="Sign up to keep your 10 ratings").click()
    page.fill("#id_username", "newcomer")
    page.fill("#id_password1", "a-Long-pass-phrase-42")
    page.fill("#id_password2", "a-Long-pass-phrase-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_selector(".deck-card")
    assert "10 ratings from this visit were added to your account" in page.content()
    user = db_thread(lambda: get_user_model().objects.get(username="newcomer"))
    kept = db_thread(
        lambda: list(Rating.objects.filter(user=user).values_list("work_id", flat=True))
    )
    assert sorted(map(str, kept)) == sorted(rated)

    wanted = current_work(page)
    title = page.locator(".deck-title").inner_text()
    press(page, "w")
    assert db_thread(lambda: Rating.objects.get(user=user, work_id=int(wanted)).choice) == "willsee"

    page.get_by_role("link", name="newcomer").click()
    page.wait_for_selector(".watchlist")
    assert title in page.locator(".watchlist").inner_text()
    assert "seem to like" in page.locator(".taste").inner_text()
    assert page.locator("section[class*='ratings-']").count() >= 5
    shoot(page, shots, "profile")

    # Search by an alternative title, choose the suggestion with the keyboard.
    kimi = db_thread(lambda: Work.objects.get(title="Kimi no Na wa."))
    db_thread(lambda: WorkTitle.objects.create(work=kimi, title="Your Name", language="en"))
    page.locator("#q").press_sequentially("your na", delay=40)
    first = page.locator("#q-suggestions [role=option]").first
    first.wait_for()
    assert page.locator("#q").get_attribute("aria-expanded") == "true"
    assert "Kimi no Na wa." in first.inner_text()
    assert "also known as Your Name" in first.inner_text()
    page.keyboard.press("ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    assert page.locator("#q").get_attribute("aria-activedescendant") == first.get_attribute("id")
    shoot(page, shots, "search")
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
    shoot(page, shots, "taste-map")
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
    offline(phone, live_server)
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
