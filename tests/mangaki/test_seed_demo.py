from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from mangaki.models import Profile, Rating, Work
from tests.mangaki.conftest import import_catalogue_head

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def catalogue(db, tmp_path):
    return import_catalogue_head(tmp_path, 600)


def _snapshot():
    return sorted(Rating.objects.values_list("user__username", "work__mal_id", "choice"))


def test_demo_is_deterministic_from_its_seed(catalogue):
    call_command("seed_demo", users=40, seed=7)
    first = _snapshot()
    call_command("seed_demo", users=40, seed=7)
    assert _snapshot() == first
    call_command("seed_demo", users=40, seed=8)
    assert _snapshot() != first
    assert Profile.objects.filter(is_demo=True).count() == 40


def test_demo_ratings_look_like_real_ones(catalogue):
    call_command("seed_demo", users=150, seed=1)
    choices = Counter(Rating.objects.values_list("choice", flat=True))
    total = sum(choices.values())
    share = {c: n / total for c, n in choices.items()}
    assert share["favorite"] < 0.1 < share["willsee"]  # favorite rare, willsee common
    assert share["like"] > share["neutral"] > share["dislike"]
    # Exposure follows popularity: the most popular tenth gets far more ratings.
    works = list(Work.objects.filter(external_members__isnull=False).order_by("-external_members"))
    counts = np.array([w.nb_ratings for w in works])
    tenth = len(works) // 10
    assert counts[:tenth].mean() > 3 * counts[-tenth:].mean()
    # Counters were recomputed, so the rankings have something to rank.
    assert Work.objects.top().exists()
    # Simulated users cannot log in.
    assert not Profile.objects.filter(is_demo=True, user__password__startswith="pbkdf2").exists()


def test_taste_is_consistent_within_a_user(catalogue):
    """A simulated user who loves a genre rates it above their own average."""
    call_command("seed_demo", users=60, seed=3)
    values = {"favorite": 4, "like": 2, "neutral": 0.1, "dislike": -2}
    rows = Rating.objects.filter(choice__in=values).values_list(
        "user_id", "choice", "work__tagged__tag__name"
    )
    per_user_genre: dict[tuple[int, str], list[float]] = {}
    per_user: dict[int, list[float]] = {}
    for user, choice, genre in rows:
        per_user_genre.setdefault((user, genre), []).append(values[choice])
        per_user.setdefault(user, []).append(values[choice])
    spreads = []
    for user in per_user:
        means = [np.mean(v) for (u, _), v in per_user_genre.items() if u == user and len(v) >= 3]
        if len(means) >= 3:
            spreads.append(max(means) - min(means))
    # Genre means differ a lot within users: tastes, not noise.
    assert np.median(spreads) > 1.5


def test_seed_demo_without_catalogue_says_what_to_do(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="import a catalogue first"):
        call_command("seed_demo", users=3)
