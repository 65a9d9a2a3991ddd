"""Title search: one ranking for the results page, the header's suggestions and the API."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from mangaki.catalog_import import import_catalog
from mangaki.models import Work, WorkTitle
from mangaki.services.search import (
    MATCH_EXACT,
    MATCH_FUZZY,
    MATCH_PREFIX,
    MATCH_SUBSTRING,
    MATCH_WORD,
    SEARCH_MAX_LENGTH,
    TitleIndex,
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


def test_typos_are_forgiven_after_every_exact_kind_of_match(titans):
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


# --- Typos, word order and other scripts on the demo catalogue ----------------------------

DEMO_CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "anime.csv"
# What a manami anime-offline-database entry brings: the work's other titles (the demo's
# Kaggle catalogue has none), matched to the imported work by its MyAnimeList id.
SHINGEKI_SYNONYMS = {
    "data": [
        {
            "sources": ["https://myanimelist.net/anime/16498"],
            "title": "Shingeki no Kyojin",
            "type": "TV",
            "episodes": 25,
            "synonyms": ["Attack on Titan", "進撃の巨人", "L'Attaque des Titans"],
            "tags": ["action"],
        }
    ]
}


@pytest.fixture
def demo_catalogue(db, tmp_path):
    """The 12,294 anime that ``bin/demo`` imports, plus one manami entry's synonyms."""
    import_catalog(DEMO_CATALOGUE, "kaggle", batch_size=2000)
    synonyms = tmp_path / "manami.json"
    synonyms.write_text(json.dumps(SHINGEKI_SYNONYMS, ensure_ascii=False), encoding="utf-8")
    import_catalog(synonyms, "manami")


def test_the_five_hard_queries_find_their_work_first_on_the_demo_catalogue(demo_catalogue):
    expected = {
        "naruo": ("Naruto", None),
        "Naruto shipuuden": ("Naruto: Shippuuden", None),
        "code geass r2": ("Code Geass: Hangyaku no Lelouch R2", None),
        "Attack on Titan": ("Shingeki no Kyojin", "Attack on Titan"),
        "進撃の巨人": ("Shingeki no Kyojin", "進撃の巨人"),
        "geass code": ("Code Geass: Hangyaku no Lelouch", None),  # word order
        "fullmetal alchemist brotherhod": ("Fullmetal Alchemist: Brotherhood", None),
    }
    found = {}
    for query in expected:
        first = Work.objects.safe_for(AnonymousUser()).search(query).first()
        found[query] = (first.title, first.matched_title) if first else None
    assert found == expected


def test_the_suggestions_and_the_results_page_find_them_too(client, demo_catalogue):
    assert suggested(client, "naruo")[0] == "Naruto"
    first = client.get("/search/suggest/", {"q": "進撃の巨人"}).json()["results"][0]
    assert (first["title"], first["also_known_as"]) == ("Shingeki no Kyojin", "進撃の巨人")
    page = client.get("/anime/", {"q": "code geass r2"})
    titles = [w.title for w in page.context["page"].object_list]
    assert titles[0] == "Code Geass: Hangyaku no Lelouch R2"
    assert "Naruto" not in titles


def test_a_renamed_work_is_found_by_its_new_title_at_once(titans):
    assert list(Work.objects.search("gundam wing")) == []
    titans["titan"].title = "Gundam Wing"
    titans["titan"].save()
    assert [w.title for w in Work.objects.search("gundam wnig")] == ["Gundam Wing"]


def test_the_title_index_ranks_closer_spellings_first_and_says_which_title_matched():
    index = TitleIndex(
        [
            (1, "Naruto", None),
            (2, "Naruto: Shippuuden", None),
            (3, "Narue no Sekai", None),
            (4, "Shingeki no Kyojin", None),
            (4, "Attack on Titan", "Attack on Titan"),
            (5, "Code Geass: Hangyaku no Lelouch", None),
            (6, "Code Geass: Hangyaku no Lelouch R2", None),
        ]
    )
    assert [m.work_id for m in index.fuzzy("naruo")] == [1, 2, 3]
    assert [m.work_id for m in index.fuzzy("code geass r2")][:1] == [6]
    assert [m.work_id for m in index.fuzzy("code geass lel")] == [5, 6]  # unfinished word
    assert index.fuzzy("titan attack")[0].alternative == "Attack on Titan"
    assert index.fuzzy("one") == []  # three letters: too short to forgive a typo
    assert index.fuzzy("zzzzzz") == []


def test_an_empty_query_and_a_query_that_finds_nothing_say_so(client, titans):
    page = client.get("/anime/", {"q": "xqzw vbnm"})
    assert page.status_code == 200
    assert list(page.context["page"].object_list) == []
    assert "No work matches" in page.content.decode()
    response = suggest(client, "xqzw vbnm")
    assert response.json() == {"query": "xqzw vbnm", "results": []}
    empty = client.get("/anime/", {"q": ""})
    assert empty.status_code == 200
    assert "No work matches" not in empty.content.decode()
    assert len(empty.context["page"].object_list) > 0  # the ranking, not an empty search
