"""Group recommendations: the aggregation maths on a trained model, privacy of members,
the page and the API."""

import numpy as np
import pytest

from mangaki.models import Rating
from mangaki.services.groups import (
    MAX_MEMBERS,
    GroupError,
    UnknownMember,
    aggregate,
    group_members,
    recommend_for_group,
)
from recommender.serving import score_works
from tests.api.conftest import token_client
from tests.factories import UserFactory
from tests.features.conftest import demo


def test_least_misery_is_the_lowest_rating_and_average_the_mean():
    predicted = np.array([[4.0, 0.1, 2.0], [-2.0, 0.1, 2.0], [1.0, 0.1, 0.5]])
    assert aggregate(predicted, "least_misery").tolist() == [-2.0, 0.1, 0.5]
    assert aggregate(predicted, "average").tolist() == pytest.approx([1.0, 0.1, 1.5])
    with pytest.raises(GroupError):
        aggregate(predicted, "most_pleasure")


def _rated(users) -> set[int]:
    return set(Rating.objects.filter(user__in=users).values_list("work_id", flat=True))


def test_group_scores_aggregate_each_members_own_prediction(trained, anime):
    members = [demo(7), demo(11), demo(23)]
    misery = recommend_for_group(members, category_id=anime.pk, n=15)
    average = recommend_for_group(members, aggregation="average", category_id=anime.pk, n=15)
    assert misery.aggregation == "least_misery" and len(misery.picks) == 15
    assert not _rated(members) & {p.work.pk for p in misery.picks + average.picks}
    for result, combine in ((misery, min), (average, lambda xs: sum(xs) / len(xs))):
        ids = [p.work.pk for p in result.picks]
        # Each member's prediction, computed on its own through the serving layer.
        alone = [score_works(m, ids) for m in members]
        for pick in result.picks:
            own = [alone[i][pick.work.pk] for i in range(len(members))]
            assert [o.predicted for o in pick.members] == pytest.approx(own, abs=1e-3)
            assert pick.score == pytest.approx(combine(own), abs=1e-3)
            assert [o.username for o in pick.members] == [m.username for m in members]
        scores = [p.score for p in result.picks]
        assert scores == sorted(scores, reverse=True)
    # Least misery's first work is the one whose unhappiest member is happiest, among the
    # same pool the average ordering draws from.
    worst_of_average = [min(o.predicted for o in p.members) for p in average.picks]
    assert misery.picks[0].score >= max(worst_of_average) - 1e-6
    assert [p.work.pk for p in misery.picks] != [p.work.pk for p in average.picks]


def test_each_member_gets_a_label_and_a_reason_from_their_own_likes(trained, anime):
    members = [demo(7), demo(11)]
    result = recommend_for_group(members, category_id=anime.pk, n=10)
    liked = {
        m.username: set(
            Rating.objects.filter(user=m, choice__in=["like", "favorite"]).values_list(
                "work_id", flat=True
            )
        )
        for m in members
    }
    opinions = [o for p in result.picks for o in p.members]
    assert all(o.label for o in opinions)
    assert any(o.because for o in opinions), "no member's prediction explained"
    assert all(w in liked[o.username] for o in opinions for w, _ in o.because)


def test_private_and_unknown_names_are_refused_alike(db, alice, bob):
    shared = UserFactory(username="dana")
    shared.profile.is_shared = True
    shared.profile.save()
    assert group_members(alice, ["dana", "alice", "dana"]) == [alice, shared]
    with pytest.raises(UnknownMember) as private:
        group_members(alice, ["dana", "bob"])  # bob's profile is private
    with pytest.raises(UnknownMember) as unknown:
        group_members(alice, ["dana", "nobody"])
    assert str(private.value).replace("bob", "X") == str(unknown.value).replace("nobody", "X")
    too_many = [f"friend{i}" for i in range(MAX_MEMBERS)]
    with pytest.raises(GroupError, match="at most"):
        group_members(alice, too_many)


def test_the_group_page_lists_works_for_everyone(client, trained, django_assert_max_num_queries):
    me = demo(7)
    client.force_login(me)
    with django_assert_max_num_queries(20):
        response = client.get("/group/?members=demo_0011,demo_0023&aggregation=average")
    assert response.status_code == 200
    body = response.content.decode()
    result = response.context["result"]
    assert result.aggregation == "average" and len(result.picks) == 24
    assert "Ordered by average" in body
    assert body.count("<strong>demo_0011</strong>") == 24
    assert "because they liked" in body


def test_the_group_page_does_not_say_whether_a_private_profile_exists(client, db, alice, bob):
    client.force_login(alice)
    private = client.get("/group/?members=bob")
    unknown = client.get("/group/?members=nobody")
    assert private.status_code == unknown.status_code == 404
    assert private.context["error"].replace("bob", "X") == unknown.context["error"].replace(
        "nobody", "X"
    )
    assert client.get("/group/").status_code == 200  # the empty form


def test_the_group_page_is_for_members_only(client, db):
    response = client.get("/group/?members=demo_0011")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_api_answers_with_members_opinions(trained):
    api = token_client(demo(7))
    response = api.get("/api/v1/groups/recommendations?members=demo_0011&n=5")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["aggregation"] == "least_misery"
    assert data["members"] == ["demo_0007", "demo_0011"]
    assert len(data["results"]) == 5
    first = data["results"][0]
    assert {m["username"] for m in first["members"]} == {"demo_0007", "demo_0011"}
    assert first["score"] == pytest.approx(min(m["score"] for m in first["members"]), abs=1e-3)
    assert first["members"][0]["predicted_choice"] in {"favorite", "like", "neutral", "dislike"}


def test_the_api_errors_are_the_usual_envelope(db, alice, bob):
    api = token_client(alice)
    private = api.get("/api/v1/groups/recommendations?members=bob")
    unknown = api.get("/api/v1/groups/recommendations?members=nobody")
    assert private.status_code == unknown.status_code == 404
    assert private.json()["error"]["code"] == "not_found"
    assert private.json()["error"]["message"].replace("bob", "X") == unknown.json()["error"][
        "message"
    ].replace("nobody", "X")
    bad = api.get("/api/v1/groups/recommendations?members=bob&aggregation=max")
    assert bad.status_code == 400 and "aggregation" in bad.json()["error"]["fields"]
    crowd = ",".join(f"p{i}" for i in range(MAX_MEMBERS))
    too_many = api.get(f"/api/v1/groups/recommendations?members={crowd}")
    assert too_many.status_code == 400 and "members" in too_many.json()["error"]["fields"]
    assert api.get("/api/v1/groups/recommendations").status_code == 400
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/groups/recommendations?members=bob").status_code == 401


def test_the_schema_documents_the_group_endpoint(db, alice):
    schema = token_client(alice).get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/groups/recommendations"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) >= {"members", "aggregation", "n"}
    # Any value the schema accepts forms a group: at most 7 names besides the caller.
    import re

    pattern = re.compile(params["members"]["schema"]["pattern"])
    assert pattern.match("a, b c,d e f g") and not pattern.match("a b c d e f g h")
    assert operation["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Error"
    )


def test_without_a_model_the_group_page_says_so(client, db, alice, models_dir):
    shared = UserFactory(username="dana")
    shared.profile.is_shared = True
    shared.profile.save()
    client.force_login(alice)
    response = client.get("/group/?members=dana")
    assert response.status_code == 200
    assert response.context["result"].picks == []
    assert "No recommendation model has been trained yet." in response.content.decode()


def test_group_pages_are_capped_per_person(client, db, alice, models_dir):
    client.force_login(alice)
    statuses = [client.get("/group/").status_code for _ in range(32)]
    assert statuses[:30] == [200] * 30 and set(statuses[30:]) == {429}
