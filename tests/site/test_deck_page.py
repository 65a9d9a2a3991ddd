import pytest

from mangaki.models import Rating
from mangaki.services.onboarding import SESSION_KEY
from tests.factories import RatingFactory

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def current(response) -> str:
    assert response.status_code == 200, response.content
    html = (
        response.json()["html"]
        if response["Content-Type"].startswith("application/json")
        else (response.content.decode())
    )
    start = html.index('class="deck-title">') + len('class="deck-title">')
    return html[start : html.index("<", start)]


def test_the_deck_shows_the_most_popular_unrated_card_with_six_keys(client, alice, shelf):
    RatingFactory(user=alice, work=shelf[0])
    client.force_login(alice)
    response = client.get("/deck/anime/?slot=popular")
    assert current(response) == "Anime 1"
    html = response.content.decode()
    for key in "flndwx":
        assert f'data-key="{key}"' in html
    assert "Adult" not in html


def test_rating_by_fetch_returns_the_next_card_and_saves_the_rating(client, alice, shelf):
    client.force_login(alice)
    response = client.post(
        "/deck/anime/rate/", {"work": shelf[0].pk, "choice": "like", "slot": "popular"}, **JSON
    )
    assert current(response) == "Anime 1"
    assert response.json()["work"] == shelf[1].pk
    assert Rating.objects.get(user=alice, work=shelf[0]).choice == "like"


def test_without_javascript_the_form_post_redirects_back_to_the_deck(client, alice, shelf):
    client.force_login(alice)
    response = client.post("/deck/anime/rate/", {"work": shelf[0].pk, "choice": "dislike"})
    assert response.status_code == 302
    assert response["Location"] == "/deck/anime/?slot=popular"
    assert current(client.get(response["Location"])) == "Anime 1"


def test_undo_removes_the_last_rating_and_shows_that_card_again(client, alice, shelf):
    client.force_login(alice)
    for work in shelf[:2]:
        client.post("/deck/anime/rate/", {"work": work.pk, "choice": "like"}, **JSON)
    response = client.post("/deck/anime/undo/", {"slot": "popular"}, **JSON)
    assert current(response) == "Anime 1"
    assert list(Rating.objects.filter(user=alice).values_list("work__title", flat=True)) == [
        "Anime 0"
    ]


def test_rated_works_never_come_back_and_an_exhausted_deck_says_so(client, alice, shelf):
    client.force_login(alice)
    seen = []
    for _ in shelf:
        response = client.get("/deck/anime/?slot=random")
        title = current(response)
        work = next(w for w in shelf if w.title == title)
        client.post("/deck/anime/rate/", {"work": work.pk, "choice": "neutral", "slot": "random"})
        seen.append(title)
    assert sorted(seen) == [w.title for w in shelf]
    assert "rated every work" in client.get("/deck/anime/?slot=random").content.decode()


def test_a_visitor_rates_into_the_session_and_can_undo(client, shelf):
    for work in shelf[:3]:
        client.post("/deck/anime/rate/", {"work": work.pk, "choice": "like"}, **JSON)
    assert client.session[SESSION_KEY] == [[w.pk, "like"] for w in shelf[:3]]
    assert Rating.objects.count() == 0
    assert current(client.get("/deck/anime/")) == "Anime 3"
    response = client.post("/deck/anime/undo/", **JSON)
    assert current(response) == "Anime 2"
    assert len(client.session[SESSION_KEY]) == 2
    assert "2 rated" in response.json()["html"]


def test_bad_input_is_a_400_and_an_unknown_category_a_404(client, alice, shelf):
    client.force_login(alice)
    assert client.post("/deck/anime/rate/", {"work": "x", "choice": "like"}).status_code == 400
    assert (
        client.post("/deck/anime/rate/", {"work": shelf[0].pk, "choice": "meh"}).status_code == 400
    )
    assert client.post("/deck/anime/rate/", {"work": 10**6, "choice": "like"}).status_code == 400
    assert client.get("/deck/cartoons/").status_code == 404
    assert client.get("/deck/anime/rate/").status_code == 405


def test_diverse_falls_back_to_popular_without_a_model(client, shelf):
    assert current(client.get("/deck/anime/?slot=diverse")) == "Anime 0"
