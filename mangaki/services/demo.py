"""Simulated users for the demo catalogue: their ratings behave like real ones.

- exposure is skewed by popularity (MyAnimeList members) and by taste (people watch
  what they expect to like);
- tastes are a few liked and disliked genres plus a shared sense of quality
  (the MAL mean score), with personal noise;
- the six choices come at realistic frequencies (favorite rare, willsee common),
  cut from each user's own affinity quantiles;
- everything follows from one seed.

These ratings are simulated, and the README says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction

from mangaki.choices import Choice
from mangaki.models import Profile, TaggedWork, TagSource, Work
from mangaki.services.counters import recompute_all
from mangaki.services.ratings import import_ratings

# Share of a simulated user's ratings per choice (close to the original site's mix).
CHOICE_MIX = {
    Choice.FAVORITE: 0.06,
    Choice.LIKE: 0.45,
    Choice.NEUTRAL: 0.17,
    Choice.DISLIKE: 0.08,
    Choice.WILLSEE: 0.16,
    Choice.WONTSEE: 0.08,
}
DEMO_PREFIX = "demo_"


@dataclass
class DemoSummary:
    users: int
    ratings: int


def _catalogue(category: str):
    rows = list(
        Work.objects.filter(category__slug=category, nsfw=False)
        .order_by("pk")
        .values_list("pk", "external_members", "external_score")
    )
    if not rows:
        raise ValueError(f"no {category} works to rate: import a catalogue first")
    ids = np.array([r[0] for r in rows])
    members = np.array([r[1] or 0 for r in rows], dtype=float)
    scores = np.array([r[2] if r[2] is not None else np.nan for r in rows], dtype=float)
    scores = np.where(
        np.isnan(scores), np.nanmean(scores) if np.isfinite(scores).any() else 0, scores
    )
    index = {pk: i for i, pk in enumerate(ids)}
    pairs = TaggedWork.objects.filter(
        work_id__in=ids.tolist(), source=TagSource.METADATA, tag__is_genre=True
    ).values_list("work_id", "tag_id")
    tag_ids = sorted({t for _, t in pairs})
    genres = np.zeros((len(ids), max(len(tag_ids), 1)))
    column = {t: j for j, t in enumerate(tag_ids)}
    for work_id, tag_id in pairs:
        genres[index[work_id], column[tag_id]] = 1.0
    return ids, members, scores, genres


def simulate(n_users: int, seed: int, category: str = "anime", mean_ratings: int = 60):
    """Return (user index, work id, choice) arrays for ``n_users`` simulated users."""
    rng = np.random.default_rng(seed)
    ids, members, scores, genres = _catalogue(category)
    n_works = len(ids)
    popularity = np.log1p(members)
    quality = (scores - scores.mean()) / (scores.std() or 1.0)
    genre_norm = np.sqrt(np.maximum(genres.sum(axis=1), 1.0))
    # Activity follows a heavy tail: many light users, a few who rate hundreds.
    most = max(1, min(600, n_works - 1))
    activity = np.clip(rng.lognormal(np.log(mean_ratings) - 0.5, 1.0, n_users), min(5, most), most)
    activity = activity.astype(int)
    # Each user loves a couple of genres and avoids a couple.
    taste = rng.normal(0.0, 0.4, (n_users, genres.shape[1]))
    for u in range(n_users):
        picks = rng.choice(genres.shape[1], size=min(4, genres.shape[1]), replace=False)
        taste[u, picks[:2]] += 1.5
        taste[u, picks[2:]] -= 1.5
    affinity = 0.9 * quality[None, :] + (taste @ genres.T) / genre_norm[None, :]
    affinity += rng.normal(0.0, 0.6, affinity.shape)
    users, works, choices = [], [], []
    for u in range(n_users):
        # Gumbel top-k: sample without replacement, weighted by popularity and taste.
        logits = 1.6 * popularity + 0.8 * affinity[u]
        keys = logits + rng.gumbel(size=n_works)
        chosen = np.argpartition(-keys, activity[u])[: activity[u]]
        n = len(chosen)
        unseen = rng.random(n) < (CHOICE_MIX[Choice.WILLSEE] + CHOICE_MIX[Choice.WONTSEE])
        order = np.argsort(-affinity[u, chosen])
        rank = np.empty(n)
        rank[order] = (np.arange(n) + 0.5) / n
        seen_mix = np.array(
            [CHOICE_MIX[c] for c in (Choice.FAVORITE, Choice.LIKE, Choice.NEUTRAL, Choice.DISLIKE)]
        )
        cuts = np.cumsum(seen_mix / seen_mix.sum())
        seen_choice = np.array([Choice.FAVORITE, Choice.LIKE, Choice.NEUTRAL, Choice.DISLIKE])[
            np.minimum(np.searchsorted(cuts, rank), 3)
        ]
        willsee_share = CHOICE_MIX[Choice.WILLSEE] / (
            CHOICE_MIX[Choice.WILLSEE] + CHOICE_MIX[Choice.WONTSEE]
        )
        unseen_choice = np.where(rank < willsee_share, Choice.WILLSEE, Choice.WONTSEE)
        users.append(np.full(n, u))
        works.append(ids[chosen])
        choices.append(np.where(unseen, unseen_choice, seen_choice))
    return np.concatenate(users), np.concatenate(works), np.concatenate(choices)


def seed_demo(n_users: int = 300, seed: int = 42, category: str = "anime") -> DemoSummary:
    """Replace the simulated users with a fresh, deterministic set."""
    user_idx, work_ids, choices = simulate(n_users, seed, category)
    User = get_user_model()
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rng = np.random.default_rng(seed + 1)
    offsets = rng.integers(0, 600 * 24 * 3600, len(user_idx))
    with transaction.atomic():
        User.objects.filter(profile__is_demo=True).delete()
        names = [f"{DEMO_PREFIX}{i + 1:04d}" for i in range(n_users)]
        User.objects.filter(username__in=names).delete()
        accounts = [User(username=name) for name in names]
        for account in accounts:
            account.set_unusable_password()
        User.objects.bulk_create(accounts, batch_size=1000)
        accounts = list(User.objects.filter(username__in=names).order_by("username"))
        # Simulated people: their ratings exist to train the demo's model.
        Profile.objects.bulk_create(
            [Profile(user=a, is_demo=True, is_shared=True, research_ok=True) for a in accounts],
            update_conflicts=True,
            unique_fields=["user"],
            update_fields=["is_demo", "is_shared", "research_ok"],
        )
        # Through the ratings service, as every rating.
        import_ratings(
            (accounts[u].pk, int(w), str(c), base + dt.timedelta(seconds=int(s)))
            for u, w, c, s in zip(user_idx, work_ids, choices, offsets, strict=True)
        )
    recompute_all()  # the works the previous demo users rated too
    return DemoSummary(users=n_users, ratings=len(user_idx))
