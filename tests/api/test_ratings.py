import pytest

from mangaki.models import Rating
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def put(client, work_id, body, **kwargs):
    return client.put(f"/api/v1/me/ratings/{work_id}", body, format="json", **kwargs)


def test_put_creates_then_changes_one_rating_idempotently(as_alice, alice, catalogue):
    bebop = catalogue["bebop"]
    first = put(as_alice, bebop.pk, {"choice": "like"})
    assert first.status_code == 200
    assert first.json()["choice"] == "like"
    assert first.json()["work"]["id"] == bebop.pk
    assert put(as_alice, bebop.pk, {"choice": "like"}).status_code == 200
    assert Rating.objects.filter(user=alice, work=bebop).count() == 1
    put(as_alice, bebop.pk, {"choice": "favorite"})
    assert Rating.objects.get(user=alice, work=bebop).choice == "favorite"


def test_rating_updates_the_work_counters(as_alice, catalogue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        put(as_alice, catalogue["akira"].pk, {"choice": "dislike"})
    data = as_alice.get(f"/api/v1/works/{catalogue['akira'].pk}").json()
    assert data["distribution"]["dislike"] == 1
    assert data["my_rating"] == "dislike"


def test_it_rejects_bad_choice_unknown_work_and_malformed_json(as_alice, alice, catalogue):
    error = assert_error(put(as_alice, catalogue["bebop"].pk, {"choice": "meh"}), 400, "invalid")
    assert list(error["fields"]) == ["choice"]
    assert_error(put(as_alice, 987654, {"choice": "like"}), 404, "not_found")
    malformed = as_alice.put(
        f"/api/v1/me/ratings/{catalogue['bebop'].pk}", "{not json", content_type="application/json"
    )
    assert_error(malformed, 400, "parse_error")
    assert_error(put(as_alice, catalogue["bebop"].pk, ["like"]), 400, "invalid")
    assert not Rating.objects.filter(user=alice).exists()


def test_get_list_and_delete_my_ratings(as_alice, catalogue):
    put(as_alice, catalogue["bebop"].pk, {"choice": "like"})
    put(as_alice, catalogue["akira"].pk, {"choice": "willsee"})
    listed = as_alice.get("/api/v1/me/ratings").json()
    assert listed["count"] == 2
    assert [r["work"]["title"] for r in listed["results"]] == ["Akira", "Cowboy Bebop"]
    assert as_alice.get(f"/api/v1/me/ratings/{catalogue['akira'].pk}").json()["choice"] == "willsee"
    assert as_alice.delete(f"/api/v1/me/ratings/{catalogue['akira'].pk}").status_code == 204
    assert_error(as_alice.get(f"/api/v1/me/ratings/{catalogue['akira'].pk}"), 404)
    # Idempotent like PUT: removing a rating that is no longer there is still a success.
    assert as_alice.delete(f"/api/v1/me/ratings/{catalogue['akira'].pk}").status_code == 204


def test_bulk_upserts_all_and_the_last_choice_per_work_wins(as_alice, alice, catalogue):
    body = [
        {"work": catalogue["bebop"].pk, "choice": "like"},
        {"work": catalogue["akira"].pk, "choice": "favorite"},
        {"work": catalogue["bebop"].pk, "choice": "dislike"},
    ]
    response = as_alice.post("/api/v1/me/ratings/bulk", body, format="json")
    assert response.status_code == 200
    assert response.json() == {"count": 2}
    assert dict(Rating.objects.filter(user=alice).values_list("work__title", "choice")) == {
        "Cowboy Bebop": "dislike",
        "Akira": "favorite",
    }


def test_bulk_is_all_or_nothing_and_names_the_bad_items(as_alice, alice, catalogue):
    put(as_alice, catalogue["trigun"].pk, {"choice": "neutral"})
    body = [
        {"work": catalogue["bebop"].pk, "choice": "like"},
        {"work": 999999, "choice": "like"},
        {"work": catalogue["akira"].pk, "choice": "nope"},
    ]
    error = assert_error(as_alice.post("/api/v1/me/ratings/bulk", body, format="json"), 400)
    assert list(error["fields"]) == ["2.choice"]
    body[2]["choice"] = "like"
    error = assert_error(as_alice.post("/api/v1/me/ratings/bulk", body, format="json"), 400)
    assert error["fields"] == {"1.work": ["There is no work with id 999999."]}
    assert dict(Rating.objects.filter(user=alice).values_list("work__title", "choice")) == {
        "Trigun": "neutral"
    }


@pytest.mark.parametrize(
    "body", [{"work": 1, "choice": "like"}, "text", [{"work": "x", "choice": "like"}], [[1]]]
)
def test_bulk_rejects_malformed_bodies(as_alice, catalogue, body):
    assert_error(as_alice.post("/api/v1/me/ratings/bulk", body, format="json"), 400, "invalid")


def test_bulk_has_a_size_limit(as_alice, catalogue):
    body = [{"work": catalogue["bebop"].pk, "choice": "like"}] * 1001
    assert_error(as_alice.post("/api/v1/me/ratings/bulk", body, format="json"), 400, "invalid")


def test_signed_out_clients_get_401_with_a_token_challenge(api, catalogue):
    response = api.put(f"/api/v1/me/ratings/{catalogue['bebop'].pk}", {"choice": "like"})
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert_error(api.get("/api/v1/me/ratings"), 401)
    assert_error(api.post("/api/v1/me/ratings/bulk", [], format="json"), 401)


def test_session_clients_need_the_csrf_token(alice, catalogue):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/v1/me/ratings").status_code == 200
    response = client.put(
        f"/api/v1/me/ratings/{catalogue['bebop'].pk}", {"choice": "like"}, format="json"
    )
    assert_error(response, 403, "permission_denied")
