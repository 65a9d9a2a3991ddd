"""Do duels improve recommendations? Simulated people with a hidden taste, measured.

    python -m benchmarks.bench_duels [--users 2000 --items 1000 --test-users 400 --seed 0]

A planted-factor world: every person has a hidden taste (a rank-10 vector), every work a
quality and a vector; their affinity is quality + taste . vector. People see works both
popular and to their taste, and rate them coarsely with the six choices (by their own
affinity quantiles: favorite, like, neutral, dislike; willsee / wontsee for some works
they have not seen). The served model (the list :class:`Ranker` over BALSE, tags drawn
from the works' vectors) is trained on the training people's ratings.

Each test person's seen works are split 70/30; the 70% (and their willsee / wontsee) are
folded in, then they answer N duels between their folded-in seen works, drawn as the duel
deck draws them (:func:`recommender.algorithms.bradley_terry.choose_pair`) and answered
from their hidden affinity (P(i over j) = sigmoid((a_i - a_j) / temperature)). Their list
of 20 over the whole catalogue, minus what was folded in, is scored against the held-out
30%: recall and nDCG at 20 of the liked ones (like and favorite) and of the favorites.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.als import ALS
from recommender.algorithms.balse import BALSE
from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.bradley_terry import bradley_terry, choose_pair, refined_values
from recommender.algorithms.lasso import Lasso
from recommender.algorithms.ranker import Ranker
from recommender.algorithms.topn import recall_ndcg, top_n

RANK, N_TAGS = 10, 24
VALUES = {"favorite": 4.0, "like": 2.0, "neutral": 0.1, "dislike": -2.0, "willsee": 0.5,
          "wontsee": -0.5}  # fmt: skip
# Shares of a person's seen works per choice, best first (close to the site's own mix).
SEEN_SHARES = (("favorite", 0.08), ("like", 0.50), ("neutral", 0.27), ("dislike", 0.15))


class World:
    def __init__(self, n_users: int, n_items: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.rng = rng
        self.n_items = n_items
        self.taste = rng.normal(0, 1 / np.sqrt(RANK), (n_users, RANK))
        self.vectors = rng.normal(0, 1, (n_items, RANK))
        self.quality = rng.normal(0, 0.5, n_items)
        weights = np.arange(1, n_items + 1, dtype=float) ** -0.8
        self.log_pop = np.log(rng.permutation(weights / weights.sum()))
        self.activity = np.clip(rng.lognormal(3.7, 0.6, n_users).astype(int), 12, n_items // 4)
        projection = rng.normal(0, 1, (RANK, N_TAGS))
        raw = self.vectors @ projection
        self.tags = sp.csr_matrix((raw > np.quantile(raw, 0.85, axis=0)).astype(float))

    def affinity(self, user: int) -> np.ndarray:
        return self.quality + self.vectors @ self.taste[user]

    def person(self, user: int):
        """(seen items, their choices, unseen-but-rated items, their choices)."""
        rng, a = self.rng, self.affinity(user)
        m = int(self.activity[user])
        gumbel = rng.gumbel(size=self.n_items)
        seen = np.argsort(-(self.log_pop + 0.8 * a + gumbel))[:m]
        order = seen[np.argsort(-a[seen])]
        choices = np.empty(m, dtype=object)
        start = 0
        for choice, share in SEEN_SHARES:
            stop = m if choice == "dislike" else start + max(1, round(share * m))
            choices[start:stop] = choice
            start = stop
        rest = np.setdiff1d(np.arange(self.n_items), seen)
        pop = np.exp(self.log_pop[rest])
        other = rng.choice(rest, size=m // 4, replace=False, p=pop / pop.sum())
        median = np.median(a[seen])
        other_choices = np.where(a[other] > median, "willsee", "wontsee").astype(object)
        return order, choices, other, other_choices


def train(world: World, users: range, seed: int) -> Ranker:
    rows, cols, vals = [], [], []
    for u in users:
        seen, choices, other, other_choices = world.person(u)
        items = np.concatenate([seen, other])
        rows += [u] * len(items)
        cols += items.tolist()
        vals += [VALUES[c] for c in [*choices, *other_choices]]
    ratings = RatingMatrix.from_triples(rows, cols, vals, max(users) + 1, world.n_items)
    balse = BALSE(als=ALS(rank=RANK, reg=0.1, n_iter=10), lasso=Lasso(alpha=0.05),
                  random_state=seed)  # fmt: skip
    names = [f"tag{j}" for j in range(N_TAGS)]
    return Ranker(rating_model=balse, random_state=seed).fit(ratings, world.tags, tag_names=names)


def duels(world: World, user: int, items, values, n: int, temperature: float, rng):
    """``n`` duels between ``items`` as the deck draws them, answered from the hidden taste."""
    a = world.affinity(user)[items]
    counts = np.zeros(len(items), dtype=int)
    popularity = world.log_pop[items]
    done: set = set()
    winners, losers = [], []
    for _ in range(n):
        pair = choose_pair(values, counts, popularity, done, rng)
        if pair is None:
            break
        i, j = pair
        done.add(frozenset(pair))
        counts[[i, j]] += 1
        i_wins = rng.random() < 1 / (1 + np.exp(-(a[i] - a[j]) / temperature))
        winners.append(i if i_wins else j)
        losers.append(j if i_wins else i)
    return np.array(winners, dtype=np.int64), np.array(losers, dtype=np.int64)


def run(args) -> None:
    world = World(args.users + args.test_users, args.items, args.seed)
    started = time.perf_counter()
    model = train(world, range(args.users), args.seed)
    print(f"trained on {args.users} people x {args.items} works in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    rng = np.random.default_rng(args.seed + 1)
    people = []
    for u in range(args.users, args.users + args.test_users):
        seen, choices, other, other_choices = world.person(u)
        held = rng.random(len(seen)) < 0.3
        people.append((u, seen[~held], choices[~held], seen[held], choices[held], other,
                       other_choices))  # fmt: skip
    print(f"{'duels':>5} {'margin':>6} | {'recall@20':>9} {'nDCG@20':>8} | "
          f"{'fav recall':>10} {'fav nDCG':>8} | recall - no duels (95% CI)")  # fmt: skip
    baseline = None
    for n in args.duels:
        for margin in args.margins if n else [0.0]:
            lists, liked, loved = [], [], []
            answer_rng = np.random.default_rng(args.seed + 2)  # the same answers per margin
            for u, items, choices, held, held_choices, other, other_choices in people:
                values = np.array([VALUES[c] for c in choices])
                if n:
                    won, lost = duels(world, u, items, values, n, args.temperature, answer_rng)
                    theta = bradley_terry(won, lost, len(items))
                    compared = np.isin(np.arange(len(items)), np.concatenate([won, lost]))
                    values = refined_values(values, theta, compared, margin)
                folded = np.concatenate([items, other])
                all_values = np.concatenate([values, [VALUES[c] for c in other_choices]])
                state = model.fold_in(folded, all_values, item_features=world.tags)
                scores = model.score_folded(state, item_features=world.tags)[None, :]
                exclude = sp.csr_matrix((np.ones(len(folded)), (np.zeros(len(folded)), folded)),
                                        shape=(1, world.n_items))  # fmt: skip
                lists.append(top_n(scores, 20, exclude)[0])
                row = np.zeros(world.n_items)
                row[held[np.isin(held_choices, ["like", "favorite"])]] = 1
                liked.append(row)
                fav = np.zeros(world.n_items)
                fav[held[held_choices == "favorite"]] = 1
                loved.append(fav)
            grid = np.vstack(lists)
            recall, ndcg = recall_ndcg(grid, sp.csr_matrix(np.vstack(liked)))
            f_recall, f_ndcg = recall_ndcg(grid, sp.csr_matrix(np.vstack(loved)))
            if baseline is None:
                baseline = recall
            # Paired over the same people: the difference's own noise, not each figure's.
            diff = (recall - baseline)[np.isfinite(recall)]
            half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
            print(f"{n:>5} {margin:>6.2f} | {np.nanmean(recall):>9.4f} {np.nanmean(ndcg):>8.4f} | "
                  f"{np.nanmean(f_recall):>10.4f} {np.nanmean(f_ndcg):>8.4f} | "
                  f"{diff.mean():+.4f} +- {half:.4f}")  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--test-users", type=int, default=400)
    parser.add_argument("--duels", type=int, nargs="+", default=[0, 10, 30, 100])
    parser.add_argument("--margins", type=float, nargs="+", default=[0.5, 1.0])
    parser.add_argument("--temperature", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
