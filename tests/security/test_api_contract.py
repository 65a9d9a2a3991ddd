"""The API's contract where it was loose: an unknown ranking category is 404; an adult work
hidden from the caller cannot be rated (404, as reading it); DELETE is idempotent."""

import pytest

from mangaki.models import Profile, Rating
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_an_unknown_category_has_no_ranking(api, catalogue):
    assert_error(api.get("/api/v1/rankings/unknown/top"), 404, "not_found")
    assert api.get("/api/v1/rankings/anime/top").status_code == 200


def test_an_adult_work_is_not_found_for_reading_or_rating_without_consent(
    as_alice, alice, catalogue
):
    adult = catalogue["adult"]
    assert_error(as_alice.get(f"/api/v1/works/{adult.pk}"), 404)
    assert_error(
        as_alice.put(f"/api/v1/me/ratings/{adult.pk}", {"choice": "like"}, format="json"), 404
    )
    bulk = as_alice.post(
        "/api/v1/me/ratings/bulk", [{"work": adult.pk, "choice": "like"}], format="json"
    )
    assert_error(bulk, 400, "invalid")
    assert not Rating.objects.filter(user=alice).exists()
    Profile.objects.filter(user=alice).update(nsfw_ok=True)
    assert as_alice.get(f"/api/v1/works/{adult.pk}").status_code == 200
    assert (
        as_alice.put(
            f"/api/v1/me/ratings/{adult.pk}", {"choice": "like"}, format="json"
        ).status_code
        == 200
    )


def test_the_site_applies_the_same_rule(client, alice, catalogue):
    client.force_login(alice)
    adult = catalogue["adult"]
    assert client.get(f"/work/{adult.pk}/").status_code == 404
    assert client.post(f"/work/{adult.pk}/rate/", {"choice": "like"}).status_code == 404
    assert not Rating.objects.filter(user=alice).exists()


def test_deleting_a_rating_twice_is_204_and_an_unknown_work_404(as_alice, catalogue):
    bebop = catalogue["bebop"].pk
    as_alice.put(f"/api/v1/me/ratings/{bebop}", {"choice": "like"}, format="json")
    assert as_alice.delete(f"/api/v1/me/ratings/{bebop}").status_code == 204
    assert as_alice.delete(f"/api/v1/me/ratings/{bebop}").status_code == 204
    assert_error(as_alice.delete("/api/v1/me/ratings/987654"), 404)
