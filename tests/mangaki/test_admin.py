import pytest
from django.urls import reverse

from tests.factories import RatingFactory, TaggedWorkFactory, UserFactory, WorkFactory


@pytest.fixture
def staff_client(client, db):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_work_admin_searches_filters_and_shows_thumbnails(staff_client):
    work = WorkFactory(title="Cowboy Bebop", poster_url="https://cdn.example/bebop.jpg", mal_id=1)
    TaggedWorkFactory(work=work, tag__name="space")
    WorkFactory(title="Other")
    response = staff_client.get(reverse("admin:mangaki_work_changelist"), {"q": "bebop"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Cowboy Bebop" in body and "Other" not in body
    assert 'src="https://cdn.example/bebop.jpg"' in body
    by_id = staff_client.get(reverse("admin:mangaki_work_changelist"), {"q": "1"}).content.decode()
    assert "Cowboy Bebop" in by_id
    change = staff_client.get(reverse("admin:mangaki_work_change", args=[work.pk])).content.decode()
    assert "space" in change and "Poster preview" in change


def test_other_admin_pages_render(staff_client):
    RatingFactory()
    for name in (
        "mangaki_rating",
        "mangaki_tag",
        "mangaki_profile",
        "mangaki_category",
        "mangaki_apitoken",
    ):
        assert staff_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_ratings_edited_in_the_admin_go_through_the_ratings_service(
    staff_client, django_capture_on_commit_callbacks
):
    from mangaki.models import Rating, Work

    rating = RatingFactory(choice="like")
    work = rating.work
    url = reverse("admin:mangaki_rating_change", args=[rating.pk])
    form = {"user": rating.user_id, "work": work.pk, "choice": "dislike"}
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, form).status_code == 302
    work = Work.objects.get(pk=work.pk)
    assert Rating.objects.get(pk=rating.pk).choice == "dislike"
    assert (work.nb_like, work.nb_dislike) == (0, 1)  # counters follow, as for any rating
    delete = reverse("admin:mangaki_rating_delete", args=[rating.pk])
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(delete, {"post": "yes"})
    assert not Rating.objects.exists() and Work.objects.get(pk=work.pk).nb_ratings == 0


def test_deleting_a_person_in_the_admin_is_the_account_deletion(staff_client):
    from django.contrib.auth import get_user_model

    from mangaki.models import Work

    rating = RatingFactory(choice="favorite")
    person = rating.user
    url = reverse("admin:auth_user_delete", args=[person.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert not get_user_model().objects.filter(pk=person.pk).exists()
    # The works they rated are recounted at once, not at the nightly recount.
    assert Work.objects.get(pk=rating.work_id).nb_favorite == 0


def test_import_ratings_writes_many_people_and_recounts(db):
    from mangaki.models import Rating, Work
    from mangaki.services.ratings import RatingError, import_ratings

    alice, bob = UserFactory(), UserFactory()
    work = WorkFactory()
    assert import_ratings([(alice.pk, work.pk, "like", None), (bob.pk, work.pk, "like", None)]) == (
        2,
        0,
    )
    assert import_ratings([(alice.pk, work.pk, "favorite", None)], overwrite=False) == (0, 0)
    assert import_ratings([(alice.pk, work.pk, "favorite", None)]) == (0, 1)
    work = Work.objects.get(pk=work.pk)
    assert (work.nb_like, work.nb_favorite) == (1, 1)
    with pytest.raises(RatingError):
        import_ratings([(alice.pk, work.pk, "adored", None)])
    assert Rating.objects.count() == 2


def test_the_one_way_into_the_tagging_backlog(db, settings, tmp_path, monkeypatch):
    from django.core.files.base import ContentFile

    from mangaki.models import Work
    from tagger import service, tasks
    from tests.drawn import drawn_poster

    settings.MEDIA_ROOT = tmp_path
    work = WorkFactory()
    Work.objects.filter(pk=work.pk).update(poster="")
    sent = []
    monkeypatch.setattr(tasks.tag_posters, "delay", lambda ids: sent.append(list(ids)))
    monkeypatch.setattr(tasks.tag_poster, "delay", lambda pk: sent.append([pk]))
    works = [WorkFactory() for _ in range(40)]
    for each in works:
        each.poster.save(f"{each.pk}.jpg", ContentFile(drawn_poster(each.pk)), save=False)
        Work.objects.filter(pk=each.pk).update(poster=each.poster.name, poster_status="tagged")
    sent.clear()
    assert service.request_tagging([w.pk for w in works] + [work.pk])
    assert [len(batch) for batch in sent] == [32, 8]  # the work without a poster is left out
    assert set(Work.objects.filter(poster_status="pending").values_list("pk", flat=True)) == {
        w.pk for w in works
    }
