"""`manage.py export_ratings`: consenting users only, anonymised, readable by the evaluator."""

import csv

import pytest
from django.core.management import call_command

from mangaki.models import Profile
from recommender.evaluation.datasets import load_mangaki_csv
from tests.factories import RatingFactory


@pytest.mark.django_db
def test_it_exports_consenting_users_anonymously_for_the_evaluator(
    tmp_path, alice, bob, charlie, works
):
    for work, choice in zip(works, ["favorite", "like", "neutral"], strict=False):
        RatingFactory(user=alice, work=work, choice=choice)
    RatingFactory(user=bob, work=works[0], choice="dislike")
    RatingFactory(user=bob, work=works[4], choice="willsee")
    RatingFactory(user=charlie, work=works[1], choice="wontsee")
    Profile.objects.filter(user=charlie).update(research_ok=False)
    path = tmp_path / "ratings.csv"
    call_command("export_ratings", str(path), "--salt", "s")
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["user", "work", "choice", "date"]
    body = rows[1:]
    assert len(body) == 5 and "wontsee" not in {r[2] for r in body}
    assert {r[0] for r in body} == {"0", "1"}  # sequential ids, not database ids
    per_user = {}
    for user, work, choice, _ in body:
        per_user.setdefault(user, set()).add((int(work), choice))
    assert sorted(per_user.values(), key=len) == [
        {(works[0].pk, "dislike"), (works[4].pk, "willsee")},
        {(works[0].pk, "favorite"), (works[1].pk, "like"), (works[2].pk, "neutral")},
    ]
    # The same salt gives the same file; the evaluator reads it.
    again = tmp_path / "again.csv"
    call_command("export_ratings", str(again), "--salt", "s")
    assert again.read_text() == path.read_text()
    dataset = load_mangaki_csv(path)
    assert len(dataset.user_ids) == 2 and len(dataset.item_ids) == 4
    assert sorted(dataset.ratings.values.tolist()) == pytest.approx([-2.0, 0.1, 0.5, 2.0, 4.0])
    # The dates come along, so each person's latest ratings can be held out.
    assert dataset.ratings.times is not None and len(dataset.ratings.times) == 5
