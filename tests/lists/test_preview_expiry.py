"""Unconfirmed list import previews expire: by beat's hourly task, or when confirmed late."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from mangaki.lists.service import create_import
from mangaki.models import ListImport, Rating
from mangaki.tasks.imports import expire_list_import_previews
from tests.lists.conftest import mal_xml
from tests.lists.test_import_service import LIST

pytestmark = pytest.mark.django_db
FORM = {
    "favorite_min": 10,
    "like_min": 7,
    "neutral_min": 5,
    "unscored": "neutral",
    "watching": "score",
    "on_hold": "score",
    "dropped": "wontsee",
    "planned": "willsee",
}


def _preview(user, age: timedelta) -> ListImport:
    imp = create_import(user, "list.xml", io.BytesIO(mal_xml(LIST)))
    ListImport.objects.filter(pk=imp.pk).update(started_at=timezone.now() - age)
    imp.refresh_from_db()
    return imp


def test_beat_expires_previews_older_than_a_day_and_drops_their_entries(alice, works):
    lifetime = timedelta(hours=settings.LIST_IMPORT_PREVIEW_HOURS)
    old = _preview(alice, lifetime + timedelta(minutes=1))
    fresh = _preview(alice, lifetime - timedelta(minutes=5))
    assert expire_list_import_previews.delay().get() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == ListImport.Status.FAILED and old.entries == []
    assert "expired" in old.error and "24 hours" in old.error
    assert fresh.status == ListImport.Status.PREVIEW and fresh.entries
    assert expire_list_import_previews.delay().get() == 0  # idempotent


def test_confirming_a_stale_preview_says_it_expired_and_offers_a_new_upload(
    client, alice, works, django_capture_on_commit_callbacks
):
    imp = _preview(alice, timedelta(hours=25))  # beat has not run yet
    client.force_login(alice)
    url = reverse("list-import", args=[imp.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**FORM, "confirm": "1"}, follow=True)
    assert not Rating.objects.exists()  # a stale plan is never applied
    html = response.content.decode()
    assert "This preview expired" in html
    assert f'href="{reverse("list-import-upload")}"' in html
    imp.refresh_from_db()
    assert imp.status == ListImport.Status.FAILED and imp.entries == []


def test_opening_a_stale_preview_says_it_expired(client, alice, works):
    imp = _preview(alice, timedelta(hours=30))
    client.force_login(alice)
    page = client.get(reverse("list-import", args=[imp.pk]))
    assert page.status_code == 200
    assert "This preview expired" in page.content.decode()


def test_a_fresh_preview_is_confirmed_as_before(
    client, alice, works, django_capture_on_commit_callbacks
):
    imp = _preview(alice, timedelta(hours=23))
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("list-import", args=[imp.pk]), {**FORM, "confirm": "1"})
    imp.refresh_from_db()
    assert imp.status == ListImport.Status.DONE
    assert Rating.objects.filter(user=alice).count() == 5
