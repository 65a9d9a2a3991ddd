"""Signing in after rating anonymously adds the visit's ratings of works the account has
not rated; the account's own ratings are never overwritten, and the page says how many
were added."""

import pytest

from mangaki.models import Rating
from tests.factories import RatingFactory, UserFactory, WorkFactory

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def test_the_accounts_ratings_win_over_the_visits(client, anime):
    works = [WorkFactory(title=f"Card {i}", nb_ratings=10 - i) for i in range(3)]
    owner = UserFactory(username="dora")
    RatingFactory(user=owner, work=works[0], choice="favorite")
    # Someone else rates in the same browser before the owner signs in.
    for work in works:
        client.post("/deck/anime/rate/", {"work": work.pk, "choice": "dislike"}, **JSON)
    response = client.post(
        "/accounts/login/", {"username": "dora", "password": "correct horse battery"}, follow=True
    )
    assert dict(Rating.objects.filter(user=owner).values_list("work_id", "choice")) == {
        works[0].pk: "favorite",
        works[1].pk: "dislike",
        works[2].pk: "dislike",
    }
    text = response.content.decode()
    assert "2 ratings from this visit were added to your account" in text
    assert "1 work rated during this visit keeps the rating your account already had" in text
