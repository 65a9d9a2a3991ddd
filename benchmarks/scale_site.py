"""The simulated site of benchmarks.bench_scale: works, members and ratings drawn from
planted tastes, built resumably into PostgreSQL (one COPY per chunk of members).

Each member belongs to one of 24 taste groups; works have hidden factors; a member picks
works by popularity times affinity and rates them by affinity plus noise, with a
heavy-tailed number of ratings per member. Each step skips what exists.
"""

from __future__ import annotations

import io
import math
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "scale_"  # usernames of the simulated members
TASTES = 24  # taste groups
FACTORS = 8  # hidden factors of works and tastes
CHUNK = 20_000  # members per COPY (one transaction each: the resume point)


class Tastes:
    """Planted tastes: works' factors, taste groups' centres, popularity."""

    def __init__(self, n_works: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.items = rng.normal(size=(n_works, FACTORS))
        self.centres = rng.normal(size=(TASTES, FACTORS))
        # Popularity follows the catalogue's order (its head is the best known), skewed.
        popularity = 1.0 / np.arange(1, n_works + 1) ** 0.9
        affinity = self.centres @ self.items.T / math.sqrt(FACTORS)
        weights = popularity[None, :] * np.exp(1.2 * affinity)
        self.pick = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)

    def counts(self, n_users: int, n_ratings: int, seed: int) -> np.ndarray:
        """Heavy-tailed ratings per member (log-normal), 1 to 3,000, summing to about n_ratings."""
        rng = np.random.default_rng([seed, 1])
        raw = rng.lognormal(0.0, 1.3, n_users)
        counts = np.clip(np.round(raw * n_ratings / raw.sum()), 1, min(3000, self.pick.shape[1]))
        return counts.astype(np.int64)


def choices_from_affinity(score: np.ndarray, rng) -> np.ndarray:
    """The six choices from affinity plus noise; a tenth are plans (will / won't see)."""
    noisy = score + rng.normal(0.0, 0.6, len(score))
    choice = np.where(
        noisy > 1.0,
        "favorite",
        np.where(noisy > 0.2, "like", np.where(noisy > -0.4, "neutral", "dislike")),
    )
    plans = rng.random(len(score)) < 0.1
    choice[plans] = np.where(noisy[plans] > 0, "willsee", "wontsee")
    return choice


def draw_ratings(tastes: Tastes, groups, counts, rng):
    """(member rows, work columns, choices) of one chunk of members, without repeats."""
    n_works = tastes.pick.shape[1]
    users = np.repeat(np.arange(len(counts)), counts + counts // 2 + 2)  # extra draws for repeats
    draws = np.empty(len(users), dtype=np.int64)
    for g in np.unique(groups):
        mask = groups[users] == g
        draws[mask] = np.searchsorted(tastes.pick[g], rng.random(int(mask.sum())))
    draws = np.minimum(draws, n_works - 1)
    _, first = np.unique(users * n_works + draws, return_index=True)
    keep = np.sort(first)  # first draw of each (member, work), in drawing order
    users, draws = users[keep], draws[keep]
    starts = np.searchsorted(users, np.arange(len(counts)))
    position = np.arange(len(users)) - starts[users]
    kept = position < counts[users]
    users, draws = users[kept], draws[kept]
    vectors = tastes.centres[groups] + 0.7 * rng.normal(size=(len(counts), FACTORS))
    score = np.einsum("ij,ij->i", vectors[users], tastes.items[draws]) / math.sqrt(FACTORS)
    return users, draws, choices_from_affinity(score, rng)


def build_works(n_works: int) -> None:
    """The bundled catalogue, then generated works up to n_works (same category)."""
    from benchmarks.bench_serving import import_catalogue_head
    from mangaki.models import Category, Work
    from mangaki.text import normalize_title

    catalogue = len((ROOT / "data" / "anime.csv").read_text(encoding="utf-8").splitlines()) - 1
    if Work.objects.count() < min(n_works, catalogue):
        import_catalogue_head(min(n_works, catalogue), ROOT / "var")
    missing = n_works - Work.objects.count()
    if missing > 0:
        anime = Category.objects.get(slug="anime")
        first = Work.objects.filter(title__startswith="Simulated ").count()
        # The number sits inside the title: a trailing one would make every generated work
        # a sequel of the others (one franchise, see mangaki.text.franchise_key).
        titles = [f"Simulated {first + i + 1} work" for i in range(missing)]
        Work.objects.bulk_create(
            [Work(title=t, search_key=normalize_title(t), category=anime) for t in titles],
            batch_size=2000,
        )


def build_members(n_users: int) -> None:
    """n_users members who consent to training, inserted by the database server itself."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM auth_user WHERE username LIKE %s", [PREFIX + "%"])
        have = cursor.fetchone()[0]
        if have < n_users:
            # "!" is Django's unusable-password marker: simulated members cannot log in.
            cursor.execute(
                "INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active,"
                " first_name, last_name, email, date_joined)"
                " SELECT %s || lpad(g::text, 8, '0'), '!', false, false, true, '', '', '', now()"
                " FROM generate_series(%s, %s) g",
                [PREFIX, have, n_users - 1],
            )
        cursor.execute(
            "INSERT INTO mangaki_profile"
            " (user_id, nsfw_ok, is_shared, research_ok, language, is_demo)"
            " SELECT u.id, false, false, true, '', false FROM auth_user u"
            " LEFT JOIN mangaki_profile p ON p.user_id = u.id"
            " WHERE u.username LIKE %s AND p.id IS NULL",
            [PREFIX + "%"],
        )


def member_ids(n_users: int) -> np.ndarray:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM auth_user WHERE username LIKE %s AND username ~ %s ORDER BY id",
            [PREFIX + "%", "^" + PREFIX + "[0-9]+$"],
        )
        ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
    return ids[:n_users]


DEFERRED = "scale_deferred_ddl"  # the rating table's constraints and indexes while loading


def strip_rating_table(cursor) -> None:
    """Drop the rating table's secondary indexes, unique and foreign-key constraints, kept
    in DEFERRED to be rebuilt once after the load: each is then one sorted build instead of
    millions of random inserts and row checks (the 30M load ran at 16,000 ratings a second
    with them). A rerun after an interruption finds them already kept."""
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {DEFERRED} (position serial, statement text)")
    cursor.execute(f"SELECT count(*) FROM {DEFERRED}")
    if cursor.fetchone()[0]:
        return
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'mangaki_rating'::regclass AND contype IN ('u', 'f')"
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'mangaki_rating'"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint"
        " WHERE conrelid = 'mangaki_rating'::regclass)"
    )
    indexes = cursor.fetchall()
    statements = [definition for _, definition in indexes] + [
        f'ALTER TABLE mangaki_rating ADD CONSTRAINT "{name}" {definition}'
        for name, definition in constraints
    ]
    cursor.executemany(f"INSERT INTO {DEFERRED} (statement) VALUES (%s)", [[s] for s in statements])
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE mangaki_rating DROP CONSTRAINT "{name}"')


def restore_rating_table(cursor) -> None:
    """Rebuild what strip_rating_table dropped (the unique constraint checks the load)."""
    cursor.execute("SELECT to_regclass(%s)", [DEFERRED])
    if cursor.fetchone()[0] is None:
        return
    from django.db import transaction

    cursor.execute("SET maintenance_work_mem = '1GB'")
    cursor.execute(f"SELECT position, statement FROM {DEFERRED} ORDER BY position")
    for position, statement in cursor.fetchall():
        with transaction.atomic():  # an interrupted rebuild resumes at the next statement
            cursor.execute(statement)
            cursor.execute(f"DELETE FROM {DEFERRED} WHERE position = %s", [position])
    cursor.execute(f"DROP TABLE {DEFERRED}")


def build_ratings(n_users: int, n_ratings: int, seed: int) -> None:
    """Ratings of every member, one COPY per chunk of members into the stripped table
    (strip_rating_table); a rerun skips the chunks already in (each chunk is one
    transaction)."""
    from django.db import connection, transaction
    from tqdm import tqdm

    from mangaki.models import Work

    work_ids = np.array(Work.objects.order_by("pk").values_list("pk", flat=True), dtype=np.int64)
    tastes = Tastes(len(work_ids), seed)
    counts = tastes.counts(n_users, n_ratings, seed)
    groups = np.random.default_rng([seed, 2]).integers(0, TASTES, n_users)
    users = member_ids(n_users)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(r.user_id) FROM mangaki_rating r JOIN auth_user u ON u.id = r.user_id"
            " WHERE u.username LIKE %s",
            [PREFIX + "%"],
        )
        last = cursor.fetchone()[0]
    # Every member has a rating and a chunk is one transaction: resume after the last one in.
    done = int(np.searchsorted(users, last, side="right")) if last is not None else 0
    start = -(-done // CHUNK) * CHUNK
    if start >= n_users:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        strip_rating_table(cursor)
    epoch = np.datetime64("2015-01-01T00:00:00")
    bar = tqdm(total=int(counts.sum()), initial=int(counts[:start].sum()), unit=" ratings")
    for lo in range(start, n_users, CHUNK):
        hi = min(n_users, lo + CHUNK)
        rng = np.random.default_rng([seed, 3, lo])
        rows, cols, choices = draw_ratings(tastes, groups[lo:hi], counts[lo:hi], rng)
        dates = np.datetime_as_string(
            epoch + rng.integers(0, 10 * 365 * 86400, len(rows)), unit="s"
        )
        buffer = io.StringIO(
            "".join(
                f"{u}\t{w}\t{c}\t{d}+00\n"
                for u, w, c, d in zip(
                    users[lo + rows].tolist(),
                    work_ids[cols].tolist(),
                    choices.tolist(),
                    dates.tolist(),
                    strict=True,
                )
            )  # fmt: skip
        )
        with connection.cursor() as cursor:
            cursor.copy_expert(
                "COPY mangaki_rating (user_id, work_id, choice, date) FROM STDIN", buffer
            )
        bar.update(int(counts[lo:hi].sum()))
    bar.close()


def restore_indexes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        restore_rating_table(cursor)


def build(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.bench_serving import ensure_database
    from mangaki.models import Work
    from mangaki.services.counters import recompute_all

    ensure_database()
    call_command("migrate", verbosity=0)
    steps = [
        ("works", lambda: build_works(args.works)),
        ("members", lambda: build_members(args.users)),
        ("ratings", lambda: build_ratings(args.users, args.ratings, args.seed)),
        ("indexes", restore_indexes),
    ]
    for name, step in steps:
        t = time.perf_counter()
        step()
        print(f"build: {name} in {time.perf_counter() - t:.1f} s", flush=True)
    if not Work.objects.filter(nb_ratings__gt=0).exists():
        t = time.perf_counter()
        recompute_all()  # the rankings read the works' counters
        print(f"build: counters in {time.perf_counter() - t:.1f} s", flush=True)
    # A bulk load leaves no planner statistics: without them PostgreSQL reads one member's
    # ratings with a parallel scan (50 ms instead of 0.1 ms at 30M ratings).
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"build: analyze in {time.perf_counter() - t:.1f} s", flush=True)
