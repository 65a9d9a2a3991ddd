"""English and French: Accept-Language and the footer's switcher, translated pages, messages
and labels (the catalogue itself: tests/site/test_i18n_catalogue.py)."""

import html
import io
import os
import re
import shutil
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from mangaki.lists.service import create_import
from mangaki.models import Rating, Work
from tests.factories import WorkFactory
from tests.lists.conftest import mal_xml
from tests.site.browsing import CHROMIUM, launched_chromium

FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}
NBSP = "\u00a0"


def _text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def works(anime):
    return [WorkFactory(title=f"Show {i}", nb_ratings=50 - i, nb_seen=50 - i) for i in range(3)]


def test_pages_are_in_english_by_default(client, works):
    body = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in body
    assert "Find your next anime or manga" in body
    assert "Trouvez" not in body


def test_accept_language_fr_gives_french_navigation_rankings_and_cards(client, works):
    body = _text(client.get(reverse("home"), **FR))
    assert '<html lang="fr">' in body
    assert "Trouvez votre prochain anime ou manga" in body
    assert ">Noter</a>" in body and "S'inscrire" in body  # header navigation
    assert "vu par 50" in body  # work card, plural form
    assert "Affiche de Show 0" in body  # poster alt text

    body = _text(client.get(reverse("work-list", args=["anime"]), {"sort": "top"}, **FR))
    assert ">Populaires</a>" in body and ">Perles</a>" in body  # ranking names
    # The note's percent signs survive the %-escaping of translated template strings.
    assert f"Comment c'est calculé{NBSP}? Les œuvres vues par au moins 5{NBSP}% du" in body
    assert "%%" not in body
    assert "How is this computed?" not in body


def test_the_deck_speaks_french_choices_slots_and_counts(client, works):
    body = _text(client.get(reverse("deck", args=["anime"]), **FR))
    for label in ("Favori", "J'aime", "Neutre", "Je n'aime pas", "À voir", "Pas intéressé"):
        assert f">{label} <kbd>" in body, label
    assert ">Variés</a>" in body and ">Au hasard</a>" in body  # deck slots
    assert f"Touches{NBSP}:" in body and "Noter des anime" in body

    client.post(reverse("deck-rate", args=["anime"]), {"work": works[0].pk, "choice": "like"}, **FR)
    card = client.post(
        reverse("deck-rate", args=["anime"]),
        {"work": works[1].pk, "choice": "like"},
        HTTP_ACCEPT="application/json",
        **FR,
    ).json()["html"]
    assert "2 notées" in card and "Notez 10 œuvres pour voir des recommandations." in card


def test_messages_of_python_code_are_translated(client, alice, works):
    client.force_login(alice)
    response = client.post(
        reverse("work-rate", args=[works[0].pk]), {"choice": "wontsee"}, follow=True, **FR
    )
    assert Rating.objects.get(user=alice, work=works[0]).choice == "wontsee"  # value unchanged
    assert f"Noté{NBSP}: Pas intéressé" in _text(response)


def test_refusals_of_a_rating_are_translated_and_change_nothing(client, works):
    # A visitor's deck: a bad choice, an unknown work, a work that is not a number.
    for form, expected in (
        ({"work": works[0].pk, "choice": "bogus"}, f"choix inconnu 'bogus'{NBSP}; choix"),
        ({"work": 10**9, "choice": "like"}, "aucune œuvre n'a l'identifiant 1000000000"),
        ({"work": "abc", "choice": "like"}, "work doit être l'identifiant d'une œuvre"),
    ):
        response = client.post("/deck/anime/rate/", form, **FR)
        assert response.status_code == 400 and expected in response.content.decode()
    assert not client.session.get("onboarding_ratings")


def test_the_switcher_keeps_the_page_and_the_choice_outlives_the_session(client, works):
    page = reverse("work-list", args=["anime"]) + "?sort=top"
    body = client.get(page).content.decode()
    assert f'name="next" type="hidden" value="{page.replace("&", "&amp;")}"' in body
    assert 'value="fr" lang="fr" aria-pressed="false">Français</button>' in body
    assert 'value="en" lang="en" aria-pressed="true">English</button>' in body

    response = client.post(reverse("set_language"), {"language": "fr", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr" and int(cookie["max-age"]) >= 30 * 24 * 3600

    body = client.get(page).content.decode()  # no Accept-Language: the cookie decides
    assert "Comment c'est calculé" in body
    assert 'value="fr" lang="fr" aria-pressed="true">Français</button>' in body

    client.post(reverse("set_language"), {"language": "en", "next": page})
    assert "How is this computed?" in client.get(page, **FR).content.decode()


def test_a_members_language_follows_the_account_to_another_browser(client, alice, works):
    from django.test import Client

    from mangaki.models import Profile

    client.force_login(alice)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert Profile.objects.get(user=alice).language == "fr"

    phone = Client()  # another browser: no cookie, an English Accept-Language
    alice.set_password("a long pass 42")
    alice.save()
    signed_in = phone.post(
        reverse("login"),
        {"username": "alice", "password": "a long pass 42"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert signed_in.status_code == 302
    assert signed_in.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = reverse("work-list", args=["anime"]) + "?sort=top"
    assert "Comment c'est calculé" in phone.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # The account page changes it back, and an empty choice leaves it to the browser.
    saved = phone.post(reverse("account"), {"research_ok": "on", "language": "en"})
    assert saved.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert Profile.objects.get(user=alice).language == "en"
    cleared = phone.post(reverse("account"), {"research_ok": "on", "language": ""})
    assert Profile.objects.get(user=alice).language == ""
    assert cleared.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    assert "How is this computed?" in phone.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_language_chosen_before_signing_up_is_kept_for_the_account(client, works):
    from mangaki.models import Profile

    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    form = {"username": "zoe", "password1": "a long pass 42", "password2": "a long pass 42"}
    assert client.post(reverse("signup"), form).status_code == 302
    assert Profile.objects.get(user__username="zoe").language == "fr"


def test_the_switcher_refuses_an_outside_next_url(client, db):
    response = client.post(
        reverse("set_language"), {"language": "fr", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and not response["Location"].startswith("https://evil")


def test_the_taste_sentence_joins_names_per_language_and_escapes_them():
    taste = {
        "liked": [("mecha", 1.0), ("space", 0.8), ("<b>x</b>", 0.5)],
        "disliked": [("idol", -1)],
    }
    with translation.override("fr"):
        rendered = render_to_string("mangaki/_taste.html", {"taste": taste})
    assert rendered == (
        '<p class="taste">Vous semblez aimer <strong>mecha</strong>, <strong>space</strong> et '
        "<strong>&lt;b&gt;x&lt;/b&gt;</strong>, et éviter <strong>idol</strong>.</p>\n"
    )
    with translation.override("en"):
        rendered = render_to_string("mangaki/_taste.html", {"taste": taste, "who": "bob"})
    assert "bob seems to like <strong>mecha</strong>, <strong>space</strong> and " in rendered
    with translation.override("en"):
        rendered = render_to_string(
            "mangaki/_taste.html", {"taste": {"liked": [], "disliked": taste["disliked"]}}
        )
    assert "You seem to avoid <strong>idol</strong>." in rendered


class _Controls(HTMLParser):
    """Form controls a person fills in or picks, and which of them have a label."""

    def __init__(self):
        super().__init__()
        self.controls, self.labelled_ids, self.depth = [], set(), 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.depth += 1
            if attrs.get("for"):
                self.labelled_ids.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            named = self.depth > 0 or "aria-label" in attrs or "aria-labelledby" in attrs
            self.controls.append((attrs.get("name"), attrs.get("id"), named))

    def handle_endtag(self, tag):
        if tag == "label":
            self.depth -= 1

    def unlabelled(self) -> list:
        return [n for n, i, named in self.controls if not named and i not in self.labelled_ids]


def test_every_form_control_of_the_pages_has_a_label(client, alice, works):
    client.force_login(alice)
    pages = [
        reverse("home"),
        reverse("work-list", args=["anime"]),
        reverse("deck", args=["anime"]),
        reverse("recommendations"),
        reverse("profile", args=["alice"]),
        reverse("account"),
        reverse("api-tokens"),
        reverse("list-import-upload"),
        reverse("account-delete"),
    ]
    for page in pages:
        response = client.get(page, **FR)
        assert response.status_code == 200, page
        parser = _Controls()
        parser.feed(response.content.decode())
        assert parser.controls, page  # at least the header's search box
        assert parser.unlabelled() == [], page
    client.logout()
    for page in (reverse("login"), reverse("signup")):
        parser = _Controls()
        parser.feed(client.get(page, **FR).content.decode())
        assert parser.unlabelled() == [], page


def test_a_missing_or_broken_poster_falls_back_to_the_placeholder(client, works):
    Work.objects.filter(pk=works[1].pk).update(poster_url="https://posters.example/1.jpg")
    body = client.get(reverse("work-list", args=["anime"])).content.decode()
    # No poster: a placeholder drawn for the work (its title on it); a poster that fails to
    # load swaps to it once, by static/js/posters.js (an inline onerror would be blocked by
    # the page's CSP).
    drawn = re.search(r'src="(data:image/svg\+xml,[^"]*)" alt="Poster of Show 0"', body)
    assert drawn and "Show 0" in unquote(drawn.group(1))
    fallback = re.search(
        r'src="https://posters.example/1.jpg" alt="Poster of Show 1" loading="lazy" '
        r'data-fallback="(data:image/svg\+xml,[^"]*)"',
        body,
    )
    assert fallback and "Show 1" in unquote(fallback.group(1)) and "onerror" not in body
    assert "/static/js/posters.js" in body


def test_the_import_preview_shows_french_names_and_keeps_machine_values(client, alice, works):
    data = mal_xml([(1, "Show 0", 9, "Completed"), (2, "Nowhere", 8, "Completed")])
    imp = create_import(alice, "list.xml", io.BytesIO(data))
    client.force_login(alice)
    body = _text(client.get(reverse("list-import", args=[imp.pk]), **FR))
    assert "<h2>À créer (1)</h2>" in body and "<h2>Introuvables dans le catalogue (1)</h2>" in body
    assert "<td>J'aime</td><td></td><td>titre</td>" in body  # choice and how it was matched
    assert '<option value="score" selected>Selon la note</option>' in body  # value unchanged
    status = client.get(reverse("list-import-status", args=[imp.pk]), **FR).json()
    assert status["status"] == "preview" and status["status_label"] == "En attente de confirmation"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
@pytest.mark.django_db(transaction=True)
def test_a_keyboard_user_switches_to_french_and_sees_where_the_focus_is(live_server, tmp_path):
    from tests.factories import category

    for i in range(3):
        WorkFactory(title=f"Show {i}", category=category("anime"), nb_ratings=9 - i)
    with launched_chromium() as chromium:
        page = chromium.new_page(viewport={"width": 390, "height": 844}, locale="en-US")
        page.goto(f"{live_server.url}/anime/?sort=pearls")
        assert page.locator("h1 + nav a[aria-current=page]").inner_text() == "Pearls"
        french = page.locator("footer button[lang=fr]")
        for _ in range(60):  # Tab through the page until the switcher's button has the focus
            page.keyboard.press("Tab")
            if french.evaluate("b => b === document.activeElement"):
                break
        else:
            pytest.fail("the French button cannot be reached with Tab")
        outline = french.evaluate("b => getComputedStyle(b).outlineStyle")
        assert outline != "none", "the focused button shows no outline"
        page.screenshot(path=str(tmp_path / "switcher-focus-phone.png"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{live_server.url}/anime/?sort=pearls"  # the same page...
        assert (
            page.locator("h1 + nav a[aria-current=page]").inner_text() == "Perles"
        )  # ...in French
        assert page.locator("html").get_attribute("lang") == "fr"
        # At phone width nothing is wider than the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px screen"
        page.screenshot(path=str(tmp_path / "ranking-fr-phone.png"), full_page=True)
    if os.environ.get("MANGAKI_SCREENSHOTS"):
        for shot in tmp_path.glob("*.png"):
            shutil.copy(shot, os.environ["MANGAKI_SCREENSHOTS"])
