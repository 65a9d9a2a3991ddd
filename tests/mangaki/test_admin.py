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
