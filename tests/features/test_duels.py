"""The duel deck: pairs from seen works, one answer per offer, the ranking, the page and
its keys, and duels reaching the recommendations."""

import uuid

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from mangaki.models import Duel, Rating
from mangaki.services.duels import (
    DuelError,
    answer_duel,
    duel_ranking,
    duel_values,
    next_pair,
    record_duel,
)
from recommender.serving import recommend, user_ratings
from tests.factories import RatingFactory, WorkFactory
from tests.features.conftest import demo


@pytest.fixture
def seen(alice, anime):
    """Alice's works: three liked, one favourite, one she does not want to see."""
    works = {name: WorkFactory(title=name) for name in ("A", "B", "C", "F", "W")}
    for name in "ABC":
        RatingFactory(user=alice, work=works[name], choice="like")
    RatingFactory(user=alice, work=works["F"], choice="favorite")
    RatingFactory(user=alice, work=works["W"], choice="wontsee")
    return works


def test_pairs_are_two_seen_works_and_never_repeat(alice, anime, seen):
    offered = set()
    while (pair := next_pair(alice, anime.pk)) is not None:
        key = frozenset((pair.left.pk, pair.right.pk))
        assert key not in offered
        assert seen["W"].pk not in key  # not seen: nothing to compare
        offered.add(key)
        record_duel(alice, pair.token, pair.left.pk, pair.right.pk, pair.left.pk)
    assert len(offered) == 6  # every pair of the four seen works, then nothing


def test_the_first_pairs_are_works_with_the_same_choice(alice, anime, seen):
    seen["A"].nb_seen = 10  # the most popular is drawn first, then a work rated like it
    seen["A"].save()
    pair = next_pair(alice, anime.pk)
    likes = {seen[n].pk for n in "ABC"}
    assert {pair.left.pk, pair.right.pk} <= likes


def test_nothing_to_compare_below_two_seen_works(bob, anime):
    RatingFactory(user=bob, choice="like")
    assert next_pair(bob, anime.pk) is None


def test_the_same_offer_posted_twice_is_one_answer(alice, seen):
    token = uuid.uuid4()
    first = record_duel(alice, token, seen["A"].pk, seen["B"].pk, seen["A"].pk)
    again = record_duel(alice, token, seen["A"].pk, seen["B"].pk, seen["B"].pk)
    assert again.pk == first.pk and again.winner_id == seen["A"].pk
    assert Duel.objects.filter(user=alice).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Duel.objects.create(user=alice, token=token, winner=seen["B"], loser=seen["A"])


def test_an_offer_answered_meanwhile_is_not_recorded_and_says_so(alice, seen, monkeypatch):
    """Another request saves the same offer between this one's lookup and its insert."""
    token = uuid.uuid4()
    atomic = transaction.atomic

    def the_other_request_first(*args, **kwargs):  # just before this one's insert
        monkeypatch.setattr(transaction, "atomic", atomic)
        Duel.objects.create(user=alice, token=token, winner=seen["B"], loser=seen["A"])
        return atomic(*args, **kwargs)

    monkeypatch.setattr(transaction, "atomic", the_other_request_first)
    answer = answer_duel(alice, token, seen["A"].pk, seen["B"].pk, seen["A"].pk)
    assert not answer.recorded and answer.duel.winner_id == seen["B"].pk
    assert Duel.objects.filter(user=alice).count() == 1
    fresh = answer_duel(alice, uuid.uuid4(), seen["A"].pk, seen["B"].pk, None)
    assert fresh.recorded and fresh.duel.skipped


def test_answers_about_unseen_or_foreign_works_are_refused(alice, seen):
    with pytest.raises(DuelError, match="seen"):
        record_duel(alice, uuid.uuid4(), seen["A"].pk, seen["W"].pk, seen["A"].pk)
    with pytest.raises(DuelError, match="one of the two"):
        record_duel(alice, uuid.uuid4(), seen["A"].pk, seen["B"].pk, seen["C"].pk)
    with pytest.raises(DuelError, match="two different"):
        record_duel(alice, uuid.uuid4(), seen["A"].pk, seen["A"].pk, seen["A"].pk)
    assert not Duel.objects.exists()


def test_the_ranking_follows_the_answers_and_skips_count_for_nothing(alice, anime, seen):
    a, b, c = (seen[n].pk for n in "ABC")
    for winner, loser in [(a, b), (a, c), (b, c), (a, b)]:
        record_duel(alice, uuid.uuid4(), winner, loser, winner)
    record_duel(alice, uuid.uuid4(), c, a, None)  # a skip
    ranking = duel_ranking(alice, anime.pk)
    assert [r.work.title for r in ranking] == ["A", "B", "C"]
    assert [(r.wins, r.losses) for r in ranking] == [(3, 0), (1, 2), (0, 2)]
    assert ranking[0].strength > 0 > ranking[2].strength
    values = duel_values(alice, user_ratings(alice))
    assert values[a] > values[b] > values[c]
    assert all(1.0 <= v <= 3.0 for v in values.values())  # still "like", ordered
    # A work no longer rated as seen leaves the evidence.
    Rating.objects.filter(user=alice, work_id=a).update(choice="willsee")
    assert a not in duel_values(alice, user_ratings(alice))


def test_the_page_offers_a_pair_with_keys_and_records_one_answer(client, alice, anime, seen):
    client.force_login(alice)
    page = client.get("/duel/anime/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-key="ArrowLeft"' in body and 'data-key="ArrowRight"' in body
    assert "js/duel.js" in body
    pair = page.context["pair"]
    form = {"token": str(pair.token), "left": pair.left.pk, "right": pair.right.pk,
            "winner": pair.right.pk}  # fmt: skip
    for _ in range(2):  # a double click
        assert client.post("/duel/anime/answer/", form).status_code == 302
    duel = Duel.objects.get(user=alice)
    assert (duel.winner_id, duel.loser_id) == (pair.right.pk, pair.left.pk)
    after = client.get("/duel/anime/")
    assert [r.work.pk for r in after.context["ranking"]] == [pair.right.pk, pair.left.pk]
    assert client.post("/duel/anime/answer/", {**form, "token": "x"}).status_code == 400


def test_the_page_is_for_members_only(client, db):
    response = client.get("/duel/anime/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_duels_change_the_recommendations(trained, anime):
    person = demo(7)
    before = recommend(person, category_id=anime.pk, n=20)
    liked = [w for w, c in user_ratings(person) if c == "like"]
    # Every liked work loses to the next: a strict order inside "like" the ratings lacked.
    for winner, loser in zip(liked, liked[1:], strict=False):
        record_duel(person, uuid.uuid4(), winner, loser, winner)
    after = recommend(person, category_id=anime.pk, n=20)
    assert [r.work.pk for r in after] != [r.work.pk for r in before]
    rated = {w for w, _ in user_ratings(person)}
    assert not rated & {r.work.pk for r in after}


pg_only = pytest.mark.skipif(
    not settings.IS_POSTGRES, reason="concurrent writers need a real database server"
)


@pg_only
@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_one_offer_record_one_duel(live_server):
    from concurrent.futures import ThreadPoolExecutor

    from tests.factories import UserFactory, category
    from tests.mangaki.test_concurrency import _opener, _status

    category("anime")
    user = UserFactory(username="doubleclicker")
    works = [WorkFactory(title=t) for t in ("One", "Two")]
    for work in works:
        RatingFactory(user=user, work=work, choice="like")
    opener, jar = _opener(live_server.url, "doubleclicker")
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    token = str(uuid.uuid4())

    def click(_):
        import urllib.parse
        import urllib.request

        data = urllib.parse.urlencode(
            {
                "token": token,
                "left": works[0].pk,
                "right": works[1].pk,
                "winner": works[0].pk,
                "csrfmiddlewaretoken": csrf,
            }  # fmt: skip
        ).encode()
        request = urllib.request.Request(
            f"{live_server.url}/duel/anime/answer/", data=data,
            headers={"Referer": live_server.url + "/"},
        )  # fmt: skip
        return _status(opener, request)

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(click, range(10)))
    assert set(statuses) == {302}
    assert Duel.objects.filter(user=user).count() == 1


def test_the_lists_stamp_follows_ratings_and_answers_in_one_query(
    alice, seen, django_assert_num_queries
):
    from mangaki.services.duels import preferences_stamp

    with django_assert_num_queries(1):
        before = preferences_stamp(alice)
    assert before.key.startswith("r5-") and before.n_duels == 0
    record_duel(alice, uuid.uuid4(), seen["A"].pk, seen["B"].pk, None)  # skips change nothing
    assert preferences_stamp(alice) == before
    record_duel(alice, uuid.uuid4(), seen["A"].pk, seen["B"].pk, seen["B"].pk)
    after = preferences_stamp(alice)
    assert after.key != before.key and after.n_duels == 1


def test_the_data_export_holds_the_duels(client, alice, seen):
    import csv
    import io
    import json
    import zipfile

    record_duel(alice, uuid.uuid4(), seen["A"].pk, seen["B"].pk, seen["B"].pk)
    record_duel(alice, uuid.uuid4(), seen["A"].pk, seen["C"].pk, None)
    client.force_login(alice)
    archive = zipfile.ZipFile(io.BytesIO(client.get("/account/export/").content))
    data = json.loads(archive.read("mangaki.json"))
    assert [(d["winner"], d["loser"], d["skipped"]) for d in data["duels"]] == [
        ("B", "A", False),
        ("A", "C", True),
    ]
    rows = list(csv.DictReader(io.StringIO(archive.read("duels.csv").decode())))
    assert [r["winner"] for r in rows] == ["B", "A"]


def test_an_unknown_category_has_no_duel_page(client, alice):
    client.force_login(alice)
    assert client.get("/duel/comics/").status_code == 404
