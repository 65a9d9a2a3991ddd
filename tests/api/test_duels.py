"""The duel deck API: a pair, its answer (once per token), the ranking it gives, and every
refusal changing nothing."""

import uuid

import pytest

from mangaki.models import Duel
from tests.api.conftest import assert_error, token_client
from tests.factories import RatingFactory, WorkFactory, category

pytestmark = pytest.mark.django_db
DUELS = "/api/v1/me/duels/anime"
RANKING = "/api/v1/me/duels/anime/ranking"


@pytest.fixture
def seen(alice, anime):
    """Alice's works: three anime she liked, one she does not want to see (not seen), two
    manga she liked, and an anime only Bob has seen."""
    works = {name: WorkFactory(title=name) for name in ("A", "B", "C", "W", "Bob's")}
    manga = category("manga")
    works |= {name: WorkFactory(title=name, category=manga) for name in ("M1", "M2")}
    for name in ("A", "B", "C", "M1", "M2"):
        RatingFactory(user=alice, work=works[name], choice="like")
    RatingFactory(user=alice, work=works["W"], choice="wontsee")
    return works


def answer(client, pair: dict, winner: int | None, path: str = DUELS):
    body = {"token": pair["token"], "left": pair["left"]["id"], "right": pair["right"]["id"]}
    return client.post(path, {**body, "winner": winner}, format="json")


def next_pair(client, path: str = DUELS) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_pair_answered_shows_in_the_ranking(as_alice, alice, seen):
    data = next_pair(as_alice)
    assert data["category"] == "anime" and data["reason"] is None
    pair = data["pair"]
    assert set(pair) == {"token", "left", "right"}
    uuid.UUID(pair["token"])
    likes = {seen[n].pk for n in "ABC"}
    assert {pair["left"]["id"], pair["right"]["id"]} <= likes  # seen anime only
    assert set(pair["left"]) == {"id", "title", "year", "type", "poster"}  # the deck's cards
    winner, loser = pair["right"]["id"], pair["left"]["id"]

    response = answer(as_alice, pair, winner)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recorded"] is True and body["token"] == pair["token"]
    assert body["winner"] == winner and body["works"] == sorted((winner, loser))
    duel = Duel.objects.get(user=alice)
    assert (duel.winner_id, duel.loser_id, duel.skipped) == (winner, loser, False)
    ranking = as_alice.get(RANKING).json()
    assert ranking["count"] == 2
    first, second = ranking["results"]
    assert (first["work"]["id"], first["wins"], first["losses"]) == (winner, 1, 0)
    assert (second["work"]["id"], second["wins"], second["losses"]) == (loser, 0, 1)
    assert first["strength"] > 0 > second["strength"]
    assert set(first["work"]) == {"id", "title", "year", "type", "poster"}


def test_the_same_token_twice_records_one_answer_and_says_so(as_alice, alice, seen):
    pair = next_pair(as_alice)["pair"]
    left, right = pair["left"]["id"], pair["right"]["id"]
    first = answer(as_alice, pair, left)
    again = answer(as_alice, pair, right)  # a second click, on the other side this time
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "recorded": False}  # the first answer stands
    assert again.json()["winner"] == left
    assert Duel.objects.filter(user=alice).count() == 1
    assert as_alice.get(RANKING).json()["results"][0]["work"]["id"] == left


def test_a_skip_is_kept_but_ranks_nothing_and_the_pair_is_not_offered_again(as_alice, alice, seen):
    pair = next_pair(as_alice)["pair"]
    response = answer(as_alice, pair, None)
    assert response.status_code == 201
    assert response.json()["winner"] is None
    assert Duel.objects.get(user=alice).skipped
    assert as_alice.get(RANKING).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    offered = {frozenset((pair["left"]["id"], pair["right"]["id"]))}
    for _ in range(2):  # the two other pairs of A, B and C, then nothing
        other = next_pair(as_alice)["pair"]
        key = frozenset((other["left"]["id"], other["right"]["id"]))
        assert key not in offered
        offered.add(key)
        assert answer(as_alice, other, other["left"]["id"]).status_code == 201
    assert next_pair(as_alice) == {"category": "anime", "pair": None, "reason": "all_offered"}


def test_fewer_than_two_seen_works_is_no_pair_and_says_why(as_bob, bob, anime):
    RatingFactory(user=bob, work=WorkFactory(), choice="favorite")
    RatingFactory(user=bob, work=WorkFactory(), choice="willsee")  # not seen
    assert next_pair(as_bob) == {"category": "anime", "pair": None, "reason": "too_few_seen"}


def test_each_category_has_its_own_pairs_and_ranking(as_alice, alice, seen):
    manga = {seen["M1"].pk, seen["M2"].pk}
    pair = next_pair(as_alice, "/api/v1/me/duels/manga")["pair"]
    assert {pair["left"]["id"], pair["right"]["id"]} == manga
    # The manga pair is not an anime one: posted to the anime deck, it is refused.
    refused = assert_error(answer(as_alice, pair, pair["left"]["id"]), 400, "invalid")
    assert set(refused["fields"]) == {"left", "right"}
    assert not Duel.objects.exists()
    assert answer(as_alice, pair, pair["left"]["id"], "/api/v1/me/duels/manga").status_code == 201
    manga_ranking = as_alice.get("/api/v1/me/duels/manga/ranking").json()
    assert {row["work"]["id"] for row in manga_ranking["results"]} == manga
    assert as_alice.get(RANKING).json()["count"] == 0


def test_my_duels_are_only_mine(as_alice, as_bob, alice, bob, seen):
    pair = next_pair(as_alice)["pair"]
    answer(as_alice, pair, pair["left"]["id"])
    assert as_bob.get(RANKING).json()["count"] == 0
    # Bob has not seen Alice's works: her pair, even with her token, is refused for him.
    assert_error(answer(as_bob, pair, pair["left"]["id"]), 400, "invalid")
    assert Duel.objects.filter(user=bob).count() == 0
    assert Duel.objects.filter(user=alice).count() == 1


def test_the_ranking_is_paginated(as_alice, alice, seen):
    a, b, c = (seen[n].pk for n in "ABC")
    for winner, loser in [(a, b), (a, c), (b, c)]:
        body = {"token": str(uuid.uuid4()), "left": winner, "right": loser, "winner": winner}
        assert as_alice.post(DUELS, body, format="json").status_code == 201
    page = as_alice.get(RANKING + "?page_size=2").json()
    assert page["count"] == 3 and page["next"].endswith("page=2&page_size=2")
    assert [row["work"]["title"] for row in page["results"]] == ["A", "B"]
    last = as_alice.get(RANKING + "?page_size=2&page=2").json()
    assert [(row["work"]["title"], row["wins"], row["losses"]) for row in last["results"]] == [
        ("C", 0, 2)
    ]
    assert_error(as_alice.get(RANKING + "?page=3&page_size=2"), 404, "not_found")
    assert_error(as_alice.get(RANKING + "?page_size=0"), 400, "invalid")


def _bodies(seen) -> list[tuple[str, object, str | None]]:
    """(case, body, field named in the error) of answers that must change nothing."""
    a, b = seen["A"].pk, seen["B"].pk
    token = str(uuid.uuid4())
    ok = {"token": token, "left": a, "right": b, "winner": a}
    no_winner = {k: ok[k] for k in ("token", "left", "right")}
    return [
        ("a list, not an object", [ok], None),
        ("no winner (a skip is an explicit null)", no_winner, "winner"),
        ("no token", {**ok, "token": None}, "token"),
        ("token not a UUID", {**ok, "token": "abc"}, "token"),
        ("token as a number", {**ok, "token": 12345}, "token"),
        ("id as a string", {**ok, "left": str(a)}, "left"),
        ("id as a float", {**ok, "right": float(b)}, "right"),
        ("id as a boolean", {**ok, "left": True}, "left"),
        ("id beyond the database's range", {**ok, "right": 2**63}, "right"),
        ("id zero", {**ok, "left": 0}, "left"),
        ("the same work twice", {**ok, "right": a}, "right"),
        ("a winner outside the pair", {**ok, "winner": seen["C"].pk}, "winner"),
        ("an unknown work", {**ok, "right": 999_999, "winner": a}, "right"),
        ("a work of another category", {**ok, "left": seen["M1"].pk, "winner": b}, "left"),
        ("a work not seen", {**ok, "right": seen["W"].pk}, None),
        ("a work only someone else has seen", {**ok, "right": seen["Bob's"].pk}, None),
    ]


def test_every_bad_answer_is_a_400_in_the_error_format_and_changes_nothing(
    as_alice, alice, bob, seen
):
    RatingFactory(user=bob, work=seen["Bob's"], choice="like")
    for case, body, field in _bodies(seen):
        error = assert_error(as_alice.post(DUELS, body, format="json"), 400, "invalid")
        assert (list(error["fields"]) == [field]) if field else not error["fields"], case
        assert not Duel.objects.exists(), case
    malformed = as_alice.post(DUELS, '{"token": ', content_type="application/json")
    assert_error(malformed, 400, "parse_error")
    unseen = assert_error(as_alice.post(DUELS, _bodies(seen)[-2][1], format="json"), 400)
    assert "seen" in unseen["message"]
    assert not Duel.objects.exists()


def test_a_bad_second_post_of_a_token_changes_nothing_either(as_alice, alice, seen):
    pair = next_pair(as_alice)["pair"]
    answer(as_alice, pair, pair["left"]["id"])
    (outside,) = {seen[n].pk for n in "ABC"} - {pair["left"]["id"], pair["right"]["id"]}
    assert_error(answer(as_alice, pair, outside), 400, "invalid")
    duel = Duel.objects.get(user=alice)
    assert duel.winner_id == pair["left"]["id"]


def test_an_unknown_category_is_a_404_and_changes_nothing(as_alice, seen):
    body = {"token": str(uuid.uuid4()), "left": seen["A"].pk, "right": seen["B"].pk, "winner": None}
    for response in [
        as_alice.get("/api/v1/me/duels/cartoons"),
        as_alice.post("/api/v1/me/duels/cartoons", body, format="json"),
        as_alice.get("/api/v1/me/duels/cartoons/ranking"),
    ]:
        assert_error(response, 404, "not_found")
    assert not Duel.objects.exists()


def test_anonymous_callers_get_401_and_change_nothing(api, seen):
    body = {"token": str(uuid.uuid4()), "left": seen["A"].pk, "right": seen["B"].pk, "winner": None}
    for response in [api.get(DUELS), api.post(DUELS, body, format="json"), api.get(RANKING)]:
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Token"
    assert not Duel.objects.exists()


def test_a_session_answer_needs_its_csrf_token(alice, seen):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    pair = next_pair(client)["pair"]  # reading needs none
    assert_error(answer(client, pair, None), 403, "permission_denied")
    assert not Duel.objects.exists()


@pytest.fixture
def three_a_minute(settings, monkeypatch):
    from mangaki.security import limiter

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "deck": "3/minute"}
    monkeypatch.setattr(limiter, "clock", lambda: 1_700_006_401.0)  # no window ends mid-test


def test_answers_share_the_duel_pages_limit(three_a_minute, client, as_alice, alice, seen):
    client.force_login(alice)
    a, b = seen["A"].pk, seen["B"].pk
    page_answer = {"token": str(uuid.uuid4()), "left": a, "right": b, "winner": a}
    assert client.post("/duel/anime/answer/", page_answer).status_code == 302
    statuses = [
        as_alice.post(
            DUELS,
            {"token": str(uuid.uuid4()), "left": a, "right": b, "winner": None},
            format="json",
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 429]  # the page's answer took one of the three
    refused = as_alice.post(
        DUELS, {"token": str(uuid.uuid4()), "left": a, "right": b, "winner": a}, format="json"
    )
    assert_error(refused, 429, "throttled")
    assert int(refused["Retry-After"]) > 0
    assert Duel.objects.filter(user=alice).count() == 3
    assert as_alice.get(DUELS).status_code == 200  # reading a pair is not an answer
    assert as_alice.get(RANKING).status_code == 200


@pytest.mark.parametrize("n_seen", [3, 30])
def test_a_pair_and_the_ranking_have_a_fixed_query_count(
    alice, anime, n_seen, django_assert_num_queries
):
    works = [WorkFactory(title=f"Seen {i}", nb_seen=i) for i in range(n_seen)]
    for work in works:
        RatingFactory(user=alice, work=work, choice="like")
    client = token_client(alice)
    client.get("/api/v1/me/profile")  # warm-up: records the token's last use
    for winner, loser in zip(works, works[1:], strict=False):
        body = {"token": str(uuid.uuid4()), "left": winner.pk, "right": loser.pk}
        client.post(DUELS, {**body, "winner": winner.pk}, format="json")
    # auth, category, seen works, offered pairs, popularity, the two works
    with django_assert_num_queries(6):
        assert client.get(DUELS).status_code == 200
    # auth, category, answers, the compared works
    with django_assert_num_queries(4):
        assert client.get(RANKING).status_code == 200
