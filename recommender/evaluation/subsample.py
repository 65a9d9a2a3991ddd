"""A sparse-user copy of a dataset: most users keep a single rating, as on review sites.

Real public rating files with many one-rating users (MyAnimeList reviews, Amazon
reviews) cannot be fetched on our machines, so the sparse-user check in
``docs/evaluation.md`` runs on MovieLens 100K subsampled this way: each user keeps one
random rating with probability ``one_rating_share``, and all their ratings otherwise.
It writes ``ratings.csv`` (user,item,rating,timestamp) and, when the dataset has tags,
``tags.csv`` (item,tag) for ``python -m recommender.evaluate``; nothing of the source
data is kept anywhere else.

Example::

    python -m recommender.evaluation.subsample --data ../shared/data/movielens/ml-100k \\
        --output var/ml100k-sparse
    python -m recommender.evaluate --data var/ml100k-sparse/ratings.csv \\
        --tags var/ml100k-sparse/tags.csv --models baseline,lasso,balse
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np


def sparse_users(ratings, one_rating_share: float, seed: int = 0) -> np.ndarray:
    """A mask of the ratings kept: one random rating of a ``one_rating_share`` of the
    users, every rating of the others.

    Example::

        >>> from recommender.algorithms.ratings import RatingMatrix
        >>> data = RatingMatrix.from_triples([0, 0, 0, 1, 1], [0, 1, 2, 0, 1], [1, 2, 3, 4, 5])
        >>> int(sparse_users(data, 1.0).sum())  # everyone keeps one rating
        2
    """
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(ratings.nnz), ratings.users))  # users, shuffled within
    users = ratings.users[order]
    first = np.searchsorted(users, users, side="left") == np.arange(len(users))
    lonely = rng.random(ratings.n_users) < one_rating_share
    keep = np.zeros(ratings.nnz, dtype=bool)
    keep[order] = first | ~lonely[users]
    return keep


def main(argv=None) -> int:
    from recommender.evaluation.datasets import load_dataset

    parser = argparse.ArgumentParser(prog="python -m recommender.evaluation.subsample")
    parser.add_argument("--data", required=True, help="a dataset recommender.evaluate reads")
    parser.add_argument("--output", required=True, help="folder for ratings.csv and tags.csv")
    parser.add_argument("--one-rating-share", type=float, default=0.66)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    dataset = load_dataset(args.data)
    ratings = dataset.ratings
    keep = sparse_users(ratings, args.one_rating_share, args.seed)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    times = ratings.times if ratings.times is not None else np.zeros(ratings.nnz)
    with open(output / "ratings.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user", "item", "rating", "timestamp"])
        for at in np.flatnonzero(keep):
            user, item = dataset.user_ids[ratings.users[at]], dataset.item_ids[ratings.items[at]]
            writer.writerow([user, item, f"{ratings.values[at]:g}", f"{times[at]:.0f}"])
    if dataset.item_features is not None:
        coo = dataset.item_features.tocoo()
        with open(output / "tags.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["item", "tag", "weight"])
            for row, col, weight in zip(coo.row, coo.col, coo.data, strict=True):
                writer.writerow([dataset.item_ids[row], dataset.tag_names[col], f"{weight:g}"])
    counts = np.bincount(ratings.users[keep], minlength=ratings.n_users)
    print(
        f"{int(keep.sum())} ratings kept of {ratings.nnz}; {np.mean(counts[counts > 0] == 1):.0%} "
        f"of the users have a single rating; written to {output}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
