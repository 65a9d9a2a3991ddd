"""The real AniList exports against the bundled Kaggle catalogue (known answers)."""

import io

import pytest
from django.urls import reverse

from mangaki.catalog_import import import_catalog
from mangaki.models import ListImport, Rating
from tests.lists.conftest import anilist_export


@pytest.mark.django_db
def test_real_anilist_exports_preview_commit_and_reimport(
    client, alice, django_capture_on_commit_callbacks
):
    import_catalog("data/anime.csv")
    client.force_login(alice)
    expected = {
        # anime: 45 of 50 titles are in the catalogue; 26 of those are unscored (skipped:
        # a page export has no status); 19 scored ones are created.
        "anime": {"create": 19, "skip": 26, "unmatched": 5},
        # manga: the catalogue has no manga; the 20 scored entries add their work and
        # are rated, the 30 unscored ones (nothing to rate) add nothing.
        "manga": {"create": 20, "skip": 0, "unmatched": 30, "new": 20},
    }
    for kind, counts in expected.items():
        response = client.post(reverse("list-import-upload"), {"file": _upload(kind)})
        page = client.get(response.url)
        for action, n in counts.items():
            assert f'<span data-count="{action}">{n}</span>'.encode() in page.content, action
        with django_capture_on_commit_callbacks(execute=True):
            client.post(response.url, {**_defaults(), "confirm": "1"})
    # Of the 19 scored anime matches, two 10s (favorite), 14 scored 7-9 (like), a 6 and a
    # 5 (neutral), a 2 (dislike); the 20 scored manga are rated too.
    anime = by_choice_of(alice, "anime")
    assert sum(anime.values()) == 19
    assert anime == {"favorite": 2, "like": 14, "neutral": 2, "dislike": 1}  # 10s: favorites
    assert sum(by_choice_of(alice, "manga").values()) == 20
    assert Rating.objects.get(user=alice, work__title="Planetes").choice == "favorite"  # a 10
    done = ListImport.objects.filter(user=alice, source="anilist").order_by("pk")
    assert [(i.status, i.created, i.unmatched) for i in done] == [("done", 19, 5), ("done", 20, 30)]
    assert done[1].options["works_added"] == 20

    again = client.post(reverse("list-import-upload"), {"file": _upload("anime")})
    page = client.get(again.url)
    assert b'<span data-count="create">0</span>' in page.content
    assert b'<span data-count="unchanged">19</span>' in page.content
    client.post(again.url, {**_defaults(), "confirm": "1"})
    assert Rating.objects.filter(user=alice).count() == 39


def _defaults():
    return {
        "favorite_min": 10,
        "like_min": 7,
        "neutral_min": 5,
        "unscored": "neutral",
        "watching": "score",
        "on_hold": "score",
        "dropped": "wontsee",
        "planned": "willsee",
    }


def by_choice_of(user, category: str) -> dict[str, int]:
    rows = Rating.objects.filter(user=user, work__category__slug=category)
    return dict(rows.values_list("choice").annotate(n=_count()).order_by())


def _count():
    from django.db.models import Count

    return Count("id")


def _upload(kind: str):
    upload = io.BytesIO(anilist_export(kind))
    upload.name = f"anilist-{kind}.json"
    return upload
