"""The /account/ page: consent settings and account deletion."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from mangaki.models import ApiToken, ListImport, Profile, Rating, Work
from mangaki.services.counters import recompute_counters
from recommender.snapshot import take_snapshot
from tests.factories import RatingFactory


@pytest.mark.django_db
def test_the_consent_settings_are_saved(client, alice):
    client.force_login(alice)
    page = client.get(reverse("account"))
    assert page.status_code == 200 and b"learns from" in page.content
    client.post(reverse("account"), {"nsfw_ok": "on", "is_shared": "on"})
    profile = Profile.objects.get(user=alice)
    assert (profile.nsfw_ok, profile.is_shared, profile.research_ok) == (True, True, False)


@pytest.mark.django_db
def test_deleting_an_account_removes_everything_at_once(client, alice, bob, works):
    for work in works[:3]:
        RatingFactory(user=alice, work=work, choice="like")
    RatingFactory(user=bob, work=works[0], choice="dislike")
    ApiToken.objects.issue(alice, "script")
    ListImport.objects.create(user=alice, source="mal")
    recompute_counters([w.pk for w in works])
    assert set(take_snapshot().user_ids.tolist()) == {alice.pk, bob.pk}
    assert Work.objects.get(pk=works[0].pk).nb_like == 1
    alice_id = alice.pk
    client.force_login(alice)

    wrong = client.post(reverse("account-delete"), {"password": "nope", "confirm": "on"})
    assert wrong.status_code == 400 and b"not your password" in wrong.content
    unconfirmed = client.post(reverse("account-delete"), {"password": "correct horse battery"})
    assert unconfirmed.status_code == 400
    assert get_user_model().objects.filter(pk=alice_id).exists()

    response = client.post(
        reverse("account-delete"), {"password": "correct horse battery", "confirm": "on"}
    )
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=alice_id).exists()
    assert not Rating.objects.filter(user_id=alice_id).exists()
    assert not ApiToken.objects.filter(user_id=alice_id).exists()
    assert not ListImport.objects.filter(user_id=alice_id).exists()
    # Counters (and so rankings) no longer count her, without waiting for a task.
    first = Work.objects.get(pk=works[0].pk)
    assert (first.nb_like, first.nb_dislike, first.nb_ratings) == (0, 1, 1)
    assert Work.objects.get(pk=works[1].pk).nb_ratings == 0
    assert set(take_snapshot().user_ids.tolist()) == {bob.pk}
    # She is logged out.
    assert client.get(reverse("account")).status_code == 302


@pytest.mark.django_db
def test_a_top_ranking_drops_the_deleted_users_ratings(alice, bob, works):
    from mangaki.services.accounts import delete_account

    RatingFactory(user=alice, work=works[4], choice="favorite")
    recompute_counters([works[4].pk])
    assert Work.objects.get(pk=works[4].pk).score > 0
    assert delete_account(alice) == 1
    assert Work.objects.get(pk=works[4].pk).score == 0
