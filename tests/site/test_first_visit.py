"""What a newcomer meets: the home page's way in, cards that say what a work is, empty
categories told truthfully, predictions in words, rating from a work page without an
account, counts that match their ranking, titles, error pages, French typography."""

import gettext
import re
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from mangaki.models import Rating, Tag, TaggedWork, Work
from mangaki.services.onboarding import session_ratings
from mangaki.services.posters import genre_hue, placeholder_svg
from tests.factories import RatingFactory, WorkFactory, category

FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}
RAW_PREDICTION = re.compile(r"predicted\s+-?\d|prédit\s+-?\d", re.IGNORECASE)


def _genres(work, *names):
    for name in names:
        tag, _ = Tag.objects.get_or_create(name=name, defaults={"slug": name.lower()})
        Tag.objects.filter(pk=tag.pk).update(is_genre=True)
        TaggedWork.objects.create(work=work, tag=tag, source="metadata")


def _drawn_posters(html: str) -> list[str]:
    return [unquote(src) for src in re.findall(r'src="(data:image/svg\+xml,[^"]*)"', html)]


# The home page


def test_a_visitor_gets_one_obvious_start_and_a_sample_of_explained_recommendations(
    client, trained
):
    html = client.get("/").content.decode()
    assert re.search(r'<a class="btn big" href="/deck/anime/">Rate your first works</a>', html)
    sample = html[html.index('id="sample-title"') : html.index("</section>", html.index("sample"))]
    assert "For example, someone who loved" in sample
    assert sample.count('<article class="card') == 4
    assert "because you liked" in sample or "popular with people like you" in sample
    assert not RAW_PREDICTION.search(html)


def test_a_member_gets_their_next_step(client, alice, trained):
    client.force_login(alice)
    assert "Continue rating" in client.get("/").content.decode()
    for work in Work.objects.order_by("-nb_ratings")[:10]:
        RatingFactory(user=alice, work=work)
    html = client.get("/").content.decode()
    assert 'class="btn big" href="/recommendations/">See my recommendations' in html
    assert "Your 10 ratings shape your recommendations" in html


# Cards and drawn posters


def test_the_deck_card_shows_what_the_catalogue_knows(client, anime):
    work = WorkFactory(
        title="Cowboy Bebop",
        episodes=26,
        external_members=1234567,
        external_score=8.81,
        synopsis="Bounty hunters in space.",
        nb_ratings=2000,
    )
    _genres(work, "Action", "Space")
    html = client.get("/deck/anime/").content.decode()
    assert "26 episodes" in html and "TV" in html
    assert '<li style="--hue:{}">Space</li>'.format(genre_hue("Space")) in html
    assert "MyAnimeList: 8.81 / 10 from 1,234,567 members · 2,000 ratings here" in html
    assert "Bounty hunters in space." in html
    [drawn] = _drawn_posters(html)
    assert "Cowboy Bebop" in drawn and "Space" in drawn and f"hsl({genre_hue('Action')}" in drawn


def test_placeholders_tell_works_apart_and_are_deterministic():
    a = placeholder_svg("Akira", ["Action", "Sci-Fi"], "Movie · 1988")
    b = placeholder_svg("Clannad", ["Drama", "Romance"], "TV")
    assert a != b and a == placeholder_svg("Akira", ["Action", "Sci-Fi"], "Movie · 1988")
    assert "Akira" in a and "Sci-Fi" in a and "Movie · 1988" in a
    # Titles are escaped, never markup.
    assert "&lt;b&gt;" in placeholder_svg("<b>", []) and "<b>" not in placeholder_svg("<b>", [])


def test_every_card_of_a_ranking_has_its_own_drawn_poster_with_its_genres(client, anime):
    for i, genre in enumerate(["Comedy", "Horror", "Sports"]):
        _genres(WorkFactory(title=f"Show {i}", nb_ratings=10 - i), genre)
    html = client.get("/anime/").content.decode()
    drawn = _drawn_posters(html)
    assert len(drawn) == 3 and len(set(drawn)) == 3
    assert all(f"Show {i}" in d for i, d in enumerate(drawn))
    assert "TV · Comedy" in html


# Empty categories


def test_an_empty_category_is_hidden_from_the_header_and_explained_by_address(client, alice, anime):
    WorkFactory(title="Only anime")
    category("manga")
    home = client.get("/").content.decode()
    assert 'href="/anime/"' in home and 'href="/manga/"' not in home
    for url in ("/deck/manga/", "/manga/", "/deck/manga/recommendations/"):
        html = client.get(url).content.decode()
        assert "There is no manga in this catalogue yet." in html, url
        assert "import_catalog" in html
        assert "You have rated every work" not in html
    deck = client.get("/deck/manga/").content.decode()
    assert 'aria-label="Deck"' not in deck and "deck-status" not in deck  # nothing to rate
    client.force_login(alice)
    html = client.get("/recommendations/manga/").content.decode()
    assert "There is no manga in this catalogue yet." in html
    assert "rate a few" not in html


# Predictions in words


def test_predictions_are_words_on_recommendations_watchlist_and_work_page(client, trained):
    member = get_user_model().objects.get(username="demo_0007")
    client.force_login(member)
    labels = ("likely a favourite", "probably like it", "probably so-so", "probably not for you")
    recs = client.get("/recommendations/anime/").content.decode()
    profile = client.get(f"/u/{member.username}/").content.decode()
    unrated = Work.objects.exclude(ratings__user=member).order_by("-nb_ratings").first()
    work = client.get(unrated.get_absolute_url()).content.decode()
    for html in (recs, profile, work):
        assert any(label in html for label in labels)
        assert not RAW_PREDICTION.search(html)
    assert "the recommender's guess from your ratings" in work


# Rating from a work page without an account, and sign-up links that come back


def test_a_visitor_rates_from_a_work_page_and_signs_up_back_to_it(client, anime):
    work = WorkFactory(title="Mushishi")
    page = work.get_absolute_url()
    html = client.get(page).content.decode()
    assert f'href="/accounts/signup/?next={page}"' in html
    response = client.post(f"/work/{work.pk}/rate/", {"choice": "like", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert session_ratings(client.session) == [(work.pk, "like")]
    html = client.get(page).content.decode()
    assert 'value="like" class="like" data-key="l" aria-pressed="true"' in html

    signup = client.get(f"/accounts/signup/?next={page}")
    assert signup.status_code == 200
    response = client.post(
        f"/accounts/signup/?next={page}",
        {"username": "newcomer", "password1": "a-Long-pass-42", "password2": "a-Long-pass-42"},
    )
    assert response["Location"] == page
    assert Rating.objects.get(user__username="newcomer").work == work


def test_sign_up_never_follows_a_next_to_another_site(client, anime):
    response = client.post(
        "/accounts/signup/?next=https://evil.example/",
        {"username": "careful", "password1": "a-Long-pass-42", "password2": "a-Long-pass-42"},
    )
    assert response["Location"] == "/"


def test_not_interested_names_the_work_and_can_be_undone(client, alice, anime):
    work = WorkFactory(title="Boku no Pico Not")
    client.force_login(alice)
    back = "/recommendations/anime/"
    response = client.post(
        f"/work/{work.pk}/rate/", {"choice": "wontsee", "next": back}, follow=False
    )
    assert response["Location"] == back
    html = client.get("/anime/").content.decode()  # messages show on the next page
    assert "“Boku no Pico Not”: not interested." in html
    assert f'action="/work/{work.pk}/rate/"' in html and 'name="undo"' in html
    client.post(f"/work/{work.pk}/rate/", {"choice": "clear", "undo": "1", "next": back})
    assert not Rating.objects.filter(user=alice, work=work).exists()


# Rankings, search, profile


def test_popular_cards_show_the_number_they_are_sorted_by(client, anime):
    for title, ratings, seen in (("A", 3000, 10), ("B", 2000, 1500), ("C", 1000, 900)):
        WorkFactory(title=title, nb_ratings=ratings, nb_seen=seen)
    html = client.get("/anime/?sort=popular").content.decode()
    shown = [
        int(n.replace(",", "")) for n in re.findall(r'class="sub count">([\d,]+) ratings', html)
    ]
    assert shown == [3000, 2000, 1000]
    assert "seen by" not in html
    assert "the number each card shows" in html


def test_pages_say_what_they_are_in_their_titles(client, anime):
    WorkFactory(title="Monster")

    def title(url):
        return re.search(r"<title>(.*?)</title>", client.get(url).content.decode()).group(1)

    assert title("/anime/?sort=top") == "Top anime · Mangaki"
    assert title("/anime/?sort=popular") == "Popular anime · Mangaki"
    assert title("/anime/?sort=pearls") == "Pearls: little-known anime · Mangaki"
    assert title("/anime/?q=mon") == "“mon” in Anime · Mangaki"
    assert title("/deck/anime/") == "Rate anime · Mangaki"


def test_search_counts_with_plurals_and_an_empty_search_has_no_tabs_or_pages(client, anime):
    WorkFactory(title="Monster")
    WorkFactory(title="Monster Rancher")
    one = client.get("/anime/?q=rancher").content.decode()
    assert "1 title found." in one
    assert "2 titles found." in client.get("/anime/?q=monster").content.decode()
    none = client.get("/anime/?q=zzzz").content.decode()
    assert "0 titles found." in none and "No work matches “zzzz”" in none
    assert 'aria-label="Rankings"' not in none and "Page 1 of 1" not in none
    # The header's live suggestions say "one title" in the singular too.
    assert 'data-count-one="One title found; arrow keys to choose."' in one


def test_the_watchlist_shows_once_on_the_profile(client, alice, anime):
    work = WorkFactory(title="Later")
    RatingFactory(user=alice, work=work, choice="willsee")
    client.force_login(alice)
    html = client.get("/u/alice/").content.decode()
    assert html.count(">Later<") == 1
    assert "ratings-willsee" not in html


# Error pages, favicon, thousands


def test_a_missing_page_is_styled_with_the_header(client, anime):
    response = client.get("/work/999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<header class="site">' in html and "This page does not exist" in html
    assert "<title>Page not found · Mangaki</title>" in html


def test_the_server_error_page_renders_without_database_or_context_processors():
    # No django_db mark: any query here would fail the test.
    with translation.override("en"):
        response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert '<header class="site">' in html and "Something went wrong on our side" in html
    assert render_to_string("500.html")  # no request at all


def test_every_page_links_the_svg_favicon(client, anime):
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
    assert (
        (Path(settings.BASE_DIR) / "static" / "img" / "favicon.svg").read_text().startswith("<svg")
    )


def test_counts_have_the_languages_thousands_separator(client, anime):
    WorkFactory(title="Big", external_members=793665, external_score=9.0)
    work = Work.objects.get(title="Big")
    assert "793,665 members" in client.get(work.get_absolute_url()).content.decode()
    french = client.get(work.get_absolute_url(), **FR).content.decode()
    assert re.search(r"793\s665 membres", french)


def test_french_translations_put_a_non_breaking_space_before_high_punctuation():
    mo = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    msgstrs = [s for key, s in catalogue.items() if key]  # the header's key is ""
    assert len(msgstrs) > 300
    bad = [s for s in msgstrs if re.search(r"[ ][:;?!](\s|$)|« | »", s)]
    assert bad == []


def test_the_login_and_sign_up_pages_link_each_other_keeping_the_page_to_return_to(client, db):
    login = client.get("/accounts/login/?next=/work/7/").content.decode()
    assert 'href="/accounts/signup/?next=/work/7/"' in login
    assert 'name="next" value="/work/7/"' in login
    signup = client.get("/accounts/signup/?next=/work/7/").content.decode()
    assert 'href="/accounts/login/?next=/work/7/"' in signup
