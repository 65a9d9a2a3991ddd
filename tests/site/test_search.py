"""Title search: one ranking for the results page, the header's suggestions and the API."""

import pytest
from django.db import connection

from mangaki.models import Work, WorkTitle
from mangaki.models.rankings import (
    MATCH_EXACT,
    MATCH_FUZZY,
    MATCH_PREFIX,
    MATCH_SUBSTRING,
    MATCH_WORD,
    SEARCH_MAX_LENGTH,
)
from tests.factories import WorkFactory, category

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram search exists on PostgreSQL only"
)


@pytest.fixture
def titans(anime):
    """Works that match "titan" in every way, popularity running against match quality."""
    shingeki = WorkFactory(title="Shingeki no Kyojin", nb_ratings=500)
    WorkTitle.objects.create(work=shingeki, title="Attack on Titan", language="en")
    WorkTitle.objects.create(work=shingeki, title="L'Attaque des Titans", language="fr")
    return {
        "shingeki": shingeki,
        "kotitans": WorkFactory(title="Kotitans", nb_ratings=900),
        "titans_return": WorkFactory(title="Titans Return", nb_ratings=20),
        "titan_ae": WorkFactory(title="Titan A.E.", nb_ratings=5),
        "titan": WorkFactory(title="Titan", nb_ratings=1),
        "adult": WorkFactory(title="Titan Nights", nb_ratings=999, nsfw=True),
        "pokemon": WorkFactory(title="Pokémon", nb_ratings=3),
        "manga": WorkFactory(title="Titan (manga)", category=category("manga"), nb_ratings=2),
    }


def suggest(client, query, **params):
    return client.get("/search/suggest/", {"q": query, **params})


def suggested(client, query, **params) -> list[str]:
    response = suggest(client, query, **params)
    assert response.status_code == 200
    return [w["title"] for w in response.json()["results"]]


def test_it_ranks_exact_then_prefix_then_word_then_substring_popularity_breaking_ties(titans):
    found = list(Work.objects.filter(category__slug="anime", nsfw=False).search("titan"))
    assert [(w.title, w.search_match) for w in found] == [
        ("Titan", MATCH_EXACT),
        ("Titans Return", MATCH_PREFIX),  # more popular than Titan A.E.
        ("Titan A.E.", MATCH_PREFIX),
        ("Shingeki no Kyojin", MATCH_WORD),  # by its English title
        ("Kotitans", MATCH_SUBSTRING),  # the most popular, but only inside a word
    ]


def test_it_finds_a_work_by_an_alternative_title_and_says_which(client, titans):
    response = suggest(client, "attack on ti")
    assert response.json()["results"] == [
        {
            "id": titans["shingeki"].pk,
            "title": "Shingeki no Kyojin",
            "also_known_as": "Attack on Titan",
            "year": None,
            "category": "anime",
            "category_name": "Anime",
            "url": f"/work/{titans['shingeki'].pk}/",
            "poster": None,
        }
    ]


def test_the_main_title_wins_over_an_alternative_one_that_matches_no_better(titans):
    work = WorkFactory(title="Titan Hunters")
    WorkTitle.objects.create(work=work, title="Titan Hunters", language="en")
    assert Work.objects.search("titan hunt").get().matched_title is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("POKEMON", ["Pokémon"]),
        ("pokémon", ["Pokémon"]),
        ("ATTAQUE DES", ["Shingeki no Kyojin"]),  # an alternative title, any case
        ("l attaque", ["Shingeki no Kyojin"]),
    ],
)
def test_case_accents_and_punctuation_are_ignored(client, titans, query, expected):
    assert suggested(client, query) == expected


def test_short_queries_only_match_the_start_of_words(titans):
    assert "Kotitans" not in [w.title for w in Work.objects.search("ti")]
    assert "Kotitans" in [w.title for w in Work.objects.search("tit")]


def test_suggestions_span_categories_unless_one_is_asked_for_and_stop_at_eight(client, titans):
    assert "Titan (manga)" in suggested(client, "titan")
    assert suggested(client, "titan", category="manga") == ["Titan (manga)"]
    for i in range(10):
        WorkFactory(title=f"Titan {i}")
    assert len(suggested(client, "titan")) == 8


def test_adult_works_are_suggested_only_to_those_who_asked(client, alice, titans):
    assert "Titan Nights" not in suggested(client, "titan nights")
    client.force_login(alice)
    assert "Titan Nights" not in suggested(client, "titan nights")
    alice.profile.nsfw_ok = True
    alice.profile.save()
    assert suggested(client, "titan nights") == ["Titan Nights"]


def test_a_too_long_query_is_refused_clearly_and_an_empty_one_finds_nothing(client, titans):
    response = suggest(client, "t" * (SEARCH_MAX_LENGTH + 1))
    assert response.status_code == 400
    assert str(SEARCH_MAX_LENGTH) in response.json()["error"]
    assert suggested(client, "t" * SEARCH_MAX_LENGTH) == []
    assert suggested(client, "") == []
    assert suggested(client, " ?! ") == []
    page = client.get("/anime/", {"q": "t" * (SEARCH_MAX_LENGTH + 1)})
    assert page.status_code == 400
    assert "at most 100 characters" in page.content.decode()
    assert list(page.context["page"].object_list) == []
    with pytest.raises(ValueError, match="at most"):
        Work.objects.search("t" * (SEARCH_MAX_LENGTH + 1))


def test_the_results_page_ranks_the_same_way_and_shows_the_matched_title(client, titans):
    page = client.get("/anime/", {"q": "titan"})
    assert [w.title for w in page.context["page"].object_list] == [
        "Titan",
        "Titans Return",
        "Titan A.E.",
        "Shingeki no Kyojin",
        "Kotitans",
    ]
    html = page.content.decode()
    assert "also known as <em>Attack on Titan</em>" in html
    assert "Titan Nights" not in html


def test_the_api_uses_the_same_ranking(client, titans):
    listed = client.get("/api/v1/works", {"q": "titan", "category": "anime"}).json()["results"]
    completed = client.get("/api/v1/works/autocomplete", {"q": "titan", "category": "anime"})
    expected = ["Titan", "Titans Return", "Titan A.E.", "Shingeki no Kyojin", "Kotitans"]
    assert [w["title"] for w in listed] == expected
    assert [w["title"] for w in completed.json()] == expected


def test_the_header_search_box_is_an_accessible_combobox(client, titans):
    html = client.get("/anime/").content.decode()
    assert 'role="combobox"' in html
    assert 'aria-controls="q-suggestions"' in html
    assert 'id="q-suggestions" class="suggestions" role="listbox"' in html
    assert 'data-suggest="/search/suggest/"' in html


@on_postgres
def test_typos_are_forgiven_on_postgresql_after_every_exact_kind_of_match(titans):
    found = list(Work.objects.search("atack on titan"))
    assert [(w.title, w.search_match, w.matched_title) for w in found] == [
        ("Shingeki no Kyojin", MATCH_FUZZY, "Attack on Titan")
    ]
    WorkFactory(title="Atack on Titan Parody", nb_ratings=0)
    assert [w.title for w in Work.objects.search("atack on titan")] == [
        "Atack on Titan Parody",  # a prefix match beats a closer-spelled fuzzy one
        "Shingeki no Kyojin",
    ]


@on_postgres
def test_the_trigram_indexes_exist_on_postgresql(titans):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexdef LIKE %s ORDER BY indexname",
            ["%gist_trgm_ops%"],
        )
        names = [row[0] for row in cursor.fetchall()]
    assert names == ["mangaki_work_search_key_trgm", "mangaki_worktitle_search_key_trgm"]


def test_without_postgresql_typos_find_nothing(titans):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL forgives typos")
    assert list(Work.objects.search("atack on titan")) == []
