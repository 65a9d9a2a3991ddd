"""Top-N peers for ``bench_peers --task topn``: lists over the whole catalogue.

An adapter fits on the training ratings (``fit``) and returns, for the given users, their
dense scores over every item (``scores``); the harness removes what each user rated in
training and keeps the best k, the same way for every peer. Settings are each library's
documented implicit-feedback setup, or the values the top-N measurements were taken with.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import time

import numpy as np

from benchmarks.bench_als import ML100K
from benchmarks.memory import memory_mb
from benchmarks.peers import THREADS, failed_line, pair_frame, peer_label, table_start
from recommender.algorithms.base import RatingMatrix

logger = logging.getLogger("bench_peers")
TOP_K = 20


class TopNPeer:
    library = "?"
    package = "?"
    distribution = ""
    model = "?"

    def start(self) -> None:
        """Prepare the library's runtime (thread limits)."""

    def fit(self, train: RatingMatrix, dataset):
        raise NotImplementedError

    def scores(self, fitted, users: np.ndarray, n_items: int) -> np.ndarray:
        raise NotImplementedError


class OursRanker(TopNPeer):
    library, package, model = "mangaki", "recommender", "Ranker (the site's list model)"
    name = "ranker"

    def fit(self, train, dataset):
        from recommender.evaluation.named_models import make_factory

        return make_factory(self.name)(0).fit(train, dataset.item_features)

    def scores(self, fitted, users, n_items):
        return fitted.score_users(users)


class OursEASE(OursRanker):
    model, name = "EASE (binary, regularisation chosen on held-out ratings)", "ease"


class Popularity(TopNPeer):
    library, package, model = "mangaki", "recommender", "most rated works"

    def fit(self, train, dataset):
        return train.item_counts().astype(np.float64)

    def scores(self, fitted, users, n_items):
        return np.tile(fitted, (len(users), 1))


class ImplicitALS(TopNPeer):
    library, package, distribution = "implicit", "implicit", "implicit"
    model = "ALS (64 factors, confidence 1 + 10 x rated, 15 iterations)"

    def start(self):
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(1, "blas")

    def fit(self, train, dataset):
        from implicit.cpu.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(
            factors=64, iterations=15, alpha=10.0, num_threads=THREADS, random_state=0
        )
        binary = train.tocsr().astype(np.float32)
        binary.data[:] = 1.0
        model.fit(binary, show_progress=False)
        return model

    def scores(self, fitted, users, n_items):
        return fitted.user_factors[users] @ fitted.item_factors.T


class _LensKitScorer(TopNPeer):
    library, package, distribution = "lenskit", "lenskit", "lenskit"

    def start(self):
        import logging

        import torch

        logging.getLogger("lenskit").setLevel(logging.WARNING)
        torch.set_num_threads(THREADS)

    def config(self):
        raise NotImplementedError

    def fit(self, train, dataset):
        from lenskit.data import from_interactions_df

        data = from_interactions_df(pair_frame(train.users, train.items))
        scorer = self.config()
        scorer.train(data)
        self._history = train.tocsr()
        return scorer

    def scores(self, fitted, users, n_items):
        from lenskit.data import ItemList, RecQuery

        items = ItemList(item_ids=np.arange(n_items, dtype=np.int64))
        out = np.full((len(users), n_items), -np.inf)
        for row, user in enumerate(users):  # LensKit scores one query at a time
            seen = self._history.indices[
                self._history.indptr[user] : self._history.indptr[user + 1]
            ]
            query = RecQuery(
                user_id=int(user), history_items=ItemList(item_ids=seen.astype(np.int64))
            )
            scored = fitted(query, items)
            values = scored.scores()
            if values is not None:
                out[row] = np.nan_to_num(values, nan=-np.inf)
        return out


class LensKitItemKNN(_LensKitScorer):
    model = "item-kNN, implicit feedback, 20 neighbours"

    def config(self):
        from lenskit.knn import ItemKNNConfig, ItemKNNScorer

        return ItemKNNScorer(ItemKNNConfig(max_nbrs=20, feedback="implicit"))


class LensKitImplicitMF(_LensKitScorer):
    model = "ImplicitMF (64 factors, weight 40, 15 epochs)"

    def config(self):
        from lenskit.als import ImplicitMFConfig, ImplicitMFScorer

        return ImplicitMFScorer(ImplicitMFConfig(embedding_size=64, epochs=15))


TOPN_PEERS = {
    "ranker": OursRanker,
    "ease": OursEASE,
    "popularity": Popularity,
    "implicit": ImplicitALS,
    "lenskit-itemknn": LensKitItemKNN,
    "lenskit-implicitmf": LensKitImplicitMF,
}


def measure_topn(spec: str, split: str) -> dict:
    """Run in the child: one top-N peer's lists on MovieLens 100K with one split."""
    import scipy.sparse as sp

    from recommender.algorithms.topn import top_n
    from recommender.evaluation.datasets import load_movielens
    from recommender.evaluation.topn import make_split, popularity_ranks, score_lists

    row = {"peer": spec, "dataset": split, "load_average": os.getloadavg()[0]}
    peer = TOPN_PEERS[spec]()
    row |= {"library": peer.library, "model": peer.model}
    if importlib.util.find_spec(peer.package) is None:
        return row | {"status": "not installed"}
    try:
        if peer.distribution:
            row["version"] = importlib.metadata.version(peer.distribution)
        peer.start()
        dataset = load_movielens(ML100K)
        ratings = dataset.ratings
        chosen = make_split(dataset, split)
        train = ratings.subset(chosen.train)

        def matrix(mask):
            return sp.csr_matrix(
                (np.ones(mask.sum()), (ratings.users[mask], ratings.items[mask])),
                shape=ratings.shape,
            )

        seen = matrix(chosen.train)
        relevant = matrix(chosen.test & (ratings.values >= dataset.scale.relevance))
        users = np.flatnonzero(np.diff(relevant.indptr) > 0)
        began = time.perf_counter()
        fitted = peer.fit(train, dataset)
        row["fit_s"] = time.perf_counter() - began
        began = time.perf_counter()
        lists = np.vstack([
            top_n(np.asarray(peer.scores(fitted, users[start:start + 256], ratings.n_items),
                             dtype=np.float64), TOP_K, exclude=seen[users[start:start + 256]])
            for start in range(0, len(users), 256)
        ])  # fmt: skip
        row["rank_s"] = time.perf_counter() - began
        scored = score_lists(
            lists,
            relevant[users],
            sp.csr_matrix((len(users), ratings.n_items)),
            popularity_ranks(train.item_counts()),
        )
        row |= {k: scored[k] for k in ("recall", "ndcg", "coverage", "novelty", "n_users")}
        row["peak_rss_mb"] = memory_mb("VmHWM")
    except Exception as error:  # reported in the row: one peer's failure is not the run's
        logger.exception("%s on %s failed", spec, split)
        return row | {"status": f"failed: {error!r}"[:300]}
    return row | {"status": "ok"}


def format_topn(rows: list[dict]) -> str:
    """The top-N rows as a Markdown table."""
    header = (
        f"| split | library | model | R@{TOP_K} | nDCG@{TOP_K} | coverage | novelty "
        "| fit s | peak RSS MB | notes |"
    )
    lines = table_start(header)
    for row in rows:
        name = peer_label(row)
        if row["status"] != "ok":
            lines.append(failed_line(row, name, blanks=6))
            continue
        cells = [
            row["dataset"], name, row["model"], f"**{row['recall']:.4f}**", f"{row['ndcg']:.4f}",
            f"{row['coverage']:.3f}", f"{row['novelty']:.0f}", f"{row['fit_s']:.2f}",
            f"{row['peak_rss_mb']:.0f}", f"load {row['load_average']:.1f}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
