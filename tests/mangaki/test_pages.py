import pytest
from django.urls import reverse

from mangaki.models import Rating
from mangaki.services.counters import counters_from_counts
from tests.factories import TaggedWorkFactory, WorkFactory


@pytest.fixture
def catalogue(db):
    works = [
        WorkFactory(title=f"Show {i}", **counters_from_counts({"like": 10 + i, "dislike": i % 3}))
        for i in range(30)
    ]
    WorkFactory(title="Adult show", nsfw=True, **counters_from_counts({"like": 100}))
    works.append(WorkFactory(title="Little gem", **counters_from_counts({"like": 3})))
    for work in works[:5]:
        TaggedWorkFactory(work=work, tag__name="space")
    return works


def test_home_lists_top_works(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Show 29" in response.content.decode()
    assert "Adult show" not in response.content.decode()


@pytest.mark.parametrize("sort", ["top", "pearls", "popular", "controversial"])
def test_ranking_pages_render_with_few_queries(client, catalogue, sort, django_assert_num_queries):
    # category, nav categories, threshold aggregate (not for popular/controversial), count,
    # page, the cards' genres
    expected = 6 if sort in ("top", "pearls") else 5
    with django_assert_num_queries(expected) as captured:
        response = client.get(reverse("work-list", args=["anime"]), {"sort": sort})
    assert response.status_code == 200
    # Lists leave out the poster embedding (5 kB a work) and the synopsis.
    assert not any("poster_embedding" in q["sql"] for q in captured.captured_queries)
    assert not any("synopsis" in q["sql"] for q in captured.captured_queries)
    body = response.content.decode()
    assert "How is this computed?" in body
    expected_first = {
        "top": "Show 27",
        "pearls": "Little gem",
        "popular": "Show 29",
        "controversial": "Show 2",
    }
    assert response.context["page"].object_list[0].title == expected_first[sort]


@pytest.mark.parametrize("sort", ["top", "pearls", "popular", "controversial"])
def test_the_pages_of_a_ranking_list_it_whole_and_in_order(client, catalogue, sort, monkeypatch):
    # A deep page sorts ids in a subquery and loads its cards after: the same works, same
    # order as the first pages.
    import re

    from mangaki.models import Work
    from mangaki.views import works as views

    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    monkeypatch.setattr(views.RankingPaginator, "DEEP_OFFSET", 6)  # from the third page on
    method = views.RANKINGS[sort][1]
    expected = [w.title for w in getattr(Work.objects.filter(nsfw=False), method)()]
    listed, number = [], 1
    while True:
        response = client.get(reverse("work-list", args=["anime"]), {"sort": sort, "page": number})
        listed += re.findall(r'class="title">([^<]*)<', response.content.decode())
        if not response.context["page"].has_next():
            break
        number += 1
    assert listed == expected and expected


def test_search_is_case_and_accent_insensitive(client, db):
    WorkFactory(title="Pokémon: Mewtwo Strikes Back")
    response = client.get(reverse("work-list", args=["anime"]), {"q": "POKEMON mewtwo"})
    assert "Pokémon: Mewtwo Strikes Back" in response.content.decode()


def test_unknown_category_is_404(client, db):
    assert client.get("/cartoons/").status_code == 404


def test_work_page_shows_tags_and_distribution(client, catalogue):
    work = catalogue[0]
    response = client.get(work.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "space" in body and "Ratings on Mangaki" in body
    # Visitors rate here too, and are told how to keep their ratings.
    assert 'name="choice" value="like"' in body and "Your ratings are kept for this visit" in body


def test_adult_work_is_hidden_from_visitors(client, db):
    work = WorkFactory(nsfw=True)
    assert client.get(work.get_absolute_url()).status_code == 404


def test_rating_from_the_work_page(client, alice, catalogue, django_capture_on_commit_callbacks):
    client.force_login(alice)
    work = catalogue[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("work-rate", args=[work.pk]), {"choice": "favorite"})
    assert response.status_code == 302
    assert Rating.objects.get(user=alice, work=work).choice == "favorite"
    work.refresh_from_db()
    assert work.nb_favorite == 1
    page = client.get(work.get_absolute_url()).content.decode()
    assert 'value="favorite" class="favorite" data-key="f" aria-pressed="true"' in page


def test_rating_with_a_bad_choice_changes_nothing(client, alice, catalogue):
    client.force_login(alice)
    response = client.post(reverse("work-rate", args=[catalogue[0].pk]), {"choice": "meh"})
    assert response.status_code == 400
    assert not Rating.objects.exists()
    assert client.post(reverse("work-rate", args=[987654]), {"choice": "like"}).status_code == 404


def test_a_visitors_rating_from_the_work_page_stays_in_the_session(client, catalogue):
    response = client.post(reverse("work-rate", args=[catalogue[0].pk]), {"choice": "like"})
    assert response.status_code == 302
    assert response["Location"] == catalogue[0].get_absolute_url()
    assert not Rating.objects.exists()  # until the visitor signs up
    assert client.session["onboarding_ratings"] == [[catalogue[0].pk, "like"]]


def test_sign_up_log_out_and_log_in(client, db):
    response = client.post(
        reverse("signup"),
        {
            "username": "dora",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"].username == "dora"
    client.post(reverse("logout"))
    assert not client.get(reverse("home")).context["user"].is_authenticated
    client.post(reverse("login"), {"username": "dora", "password": "a long passphrase 42"})
    assert client.get(reverse("home")).context["user"].username == "dora"
    from django.contrib.auth import get_user_model

    # Research consent is opt-in: the box was not ticked.
    assert get_user_model().objects.get(username="dora").profile.research_ok is False


def test_missing_posters_fall_back_to_a_placeholder(client, db):
    work = WorkFactory(title="Posterless")
    body = client.get(work.get_absolute_url()).content.decode()
    assert 'class="poster" src="data:image/svg+xml,' in body and "Posterless" in body


def test_cards_say_the_work_type_in_the_active_language(client, db):
    from django.utils import translation

    movie = WorkFactory(title="A film", work_type="movie", nb_ratings=5)
    assert movie.get_work_type_display() == "Movie"
    with translation.override("fr"):
        assert movie.get_work_type_display() == "Film"
    assert WorkFactory(work_type="").get_work_type_display() == "Unknown"
    assert WorkFactory(work_type="radio").get_work_type_display() == "radio"  # not a choice
    assert '<span class="sub">Movie' in client.get("/anime/?sort=popular").content.decode()
