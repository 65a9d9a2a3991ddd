import pytest

from mangaki.choices import RATING_VALUES
from mangaki.models import Rating, Work
from mangaki.services.ratings import RatingError, rate_many, rate_work, remove_rating
from tests.factories import WorkFactory


def test_rating_values_are_the_papers():
    assert RATING_VALUES == {
        "favorite": 4.0,
        "like": 2.0,
        "neutral": 0.1,
        "dislike": -2.0,
        "willsee": 0.5,
        "wontsee": -0.5,
    }


def test_it_creates_then_changes_a_rating_in_place(alice):
    work = WorkFactory()
    first = rate_work(alice, work.pk, "like")
    second = rate_work(alice, work.pk, "dislike")
    assert first.pk == second.pk
    assert Rating.objects.filter(user=alice, work=work).count() == 1
    assert Rating.objects.get(user=alice, work=work).choice == "dislike"


def test_counters_follow_each_change(alice, bob, django_capture_on_commit_callbacks):
    work = WorkFactory()
    with django_capture_on_commit_callbacks(execute=True):
        rate_work(alice, work.pk, "like")
        rate_work(bob, work.pk, "favorite")
    work.refresh_from_db()
    assert (work.nb_like, work.nb_favorite, work.nb_seen, work.nb_ratings) == (1, 1, 2, 2)
    with django_capture_on_commit_callbacks(execute=True):
        rate_work(alice, work.pk, "willsee")
    work.refresh_from_db()
    assert (work.nb_like, work.nb_willsee, work.nb_seen, work.nb_ratings) == (0, 1, 1, 2)
    with django_capture_on_commit_callbacks(execute=True):
        remove_rating(bob, work.pk)
    work.refresh_from_db()
    assert (work.nb_favorite, work.nb_seen, work.nb_ratings) == (0, 0, 1)


def test_it_rejects_rating_of_unknown_work(alice):
    with pytest.raises(RatingError, match="no work with id 999999"):
        rate_work(alice, 999999, "like")
    assert not Rating.objects.exists()


def test_it_rejects_an_unknown_choice_and_keeps_the_old_rating(alice):
    work = WorkFactory()
    rate_work(alice, work.pk, "like")
    with pytest.raises(RatingError, match="unknown choice"):
        rate_work(alice, work.pk, "superlike")
    assert Rating.objects.get(user=alice, work=work).choice == "like"


def test_bulk_rating_is_all_or_nothing(alice, django_capture_on_commit_callbacks):
    a, b = WorkFactory(), WorkFactory()
    with pytest.raises(RatingError, match="unknown work"):
        rate_many(alice, [(a.pk, "like"), (424242, "like")])
    assert not Rating.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert rate_many(alice, [(a.pk, "like"), (b.pk, "wontsee"), (a.pk, "favorite")]) == 2
    assert dict(Rating.objects.values_list("work_id", "choice")) == {
        a.pk: "favorite",
        b.pk: "wontsee",
    }
    assert Work.objects.get(pk=a.pk).nb_favorite == 1


def test_removing_a_missing_rating_says_so(alice):
    work = WorkFactory()
    assert remove_rating(alice, work.pk) is False
