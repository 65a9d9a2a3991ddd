"""Adapters that fit our ALS and each peer library on the same ratings, for ``bench_peers``.

An adapter turns a ``RatingMatrix`` (0-based users and items) into the library's own input
(``convert``, timed apart from the fit), fits rank 20 for 10 iterations or epochs (``fit``),
and predicts ratings for (user, item) pairs with NaN where the library cannot
(``predict``). Libraries are imported inside the methods: the harness runs each adapter
in its own process, so a missing or crashing peer only loses its own row.

Settings: ours as in ``bench_als`` (``ALS`` defaults with rank 20 and 10 iterations on the
synthetic set, ``ML_SETTINGS`` on MovieLens); Spark's ``regParam`` equals our ``reg`` on each
dataset because Spark scales it by each row's rating count, as our ALS-WR does; the other peers
keep their own defaults except rank and iterations (their penalties are not scaled by the
counts, so our value would mean something else there).
"""

from __future__ import annotations

import os
import time

import numpy as np

from benchmarks.bench_als import ML_SETTINGS
from recommender.algorithms.base import RatingMatrix

RANK, N_ITER, THREADS = 20, 10, 2


def _our_settings(dataset: str) -> dict:
    return ML_SETTINGS if dataset == "ml100k" else {"rank": RANK, "n_iter": N_ITER}


def pair_frame(users, items, values=None):
    import pandas as pd

    columns = {"user_id": np.asarray(users, np.int64), "item_id": np.asarray(items, np.int64)}
    if values is not None:
        columns["rating"] = np.asarray(values, np.float32)
    return pd.DataFrame(columns)


class Peer:
    """One library and model. ``package`` is what must be importable; ``distribution`` names
    the installed version; ``no_rmse`` says why a model has no rating prediction."""

    library = "?"
    package = "?"
    distribution = ""
    model = "?"
    threads = "1"
    no_rmse = ""
    datasets = ("ml100k", "synthetic")

    def start(self) -> float:
        """Start the library's runtime (a JVM); returns the seconds it took."""
        return 0.0

    def stop(self) -> None:
        """Shut down what ``start`` started."""

    def convert(self, ratings: RatingMatrix):
        return ratings

    def fit(self, data, dataset: str):
        raise NotImplementedError

    def predict(self, fitted, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Ours(Peer):
    library, package, distribution = "mangaki", "recommender", ""
    model = "ALS (CG, 3 steps), biases"
    threads = os.environ.get("NUMBA_NUM_THREADS", f"{os.cpu_count()} (numba)")

    def convert(self, ratings):
        ratings.tocsr(), ratings.tocsc()  # built lazily by fit otherwise
        return ratings

    def fit(self, data, dataset):
        from recommender.algorithms.als import ALS

        return ALS(random_state=0, **_our_settings(dataset)).fit(data)

    def predict(self, fitted, users, items):
        return fitted.predict(users, items)


class LensKit(Peer):
    library, package, distribution = "lenskit", "lenskit", "lenskit"
    model = "BiasedMF (exact ALS, torch), reg 0.1"
    threads = str(THREADS)

    def start(self):
        import logging

        import torch

        logging.getLogger("lenskit").setLevel(logging.WARNING)  # per-epoch progress
        torch.set_num_threads(THREADS)
        return 0.0

    def convert(self, ratings):
        from lenskit.data import from_interactions_df

        return from_interactions_df(pair_frame(ratings.users, ratings.items, ratings.values))

    def fit(self, data, dataset):
        from lenskit.als import BiasedMFConfig, BiasedMFScorer

        scorer = BiasedMFScorer(BiasedMFConfig(embedding_size=RANK, epochs=N_ITER))
        scorer.train(data)
        return scorer

    def predict(self, fitted, users, items):
        from lenskit.data import ItemList

        predicted = np.full(len(users), np.nan)
        for user in np.unique(users):
            rows = np.flatnonzero(users == user)
            scored = fitted(int(user), ItemList(item_ids=items[rows].astype(np.int64)))
            predicted[rows] = scored.scores()
        return predicted


class Implicit(Peer):
    library, package, distribution = "implicit", "implicit", "implicit"
    model = "ALS, implicit feedback (ratings as confidence), CG"
    threads = str(THREADS)
    # Its scores estimate whether a user rated an item (preference 0/1 weighted by the
    # rating), not the rating: an RMSE would measure whatever calibration we bolted on.
    no_rmse = "n/a (implicit objective)"

    def start(self):
        # implicit warns that BLAS threads fight its own threads; it asks for 1.
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(1, "blas")
        return 0.0

    def convert(self, ratings):
        return ratings.tocsr().astype(np.float32)

    def fit(self, data, dataset):
        from implicit.cpu.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(
            factors=RANK, iterations=N_ITER, num_threads=THREADS, random_state=0
        )
        model.fit(data, show_progress=False)
        return model


class SurpriseSVD(Peer):
    library, package, distribution = "surprise", "surprise", "scikit-surprise"
    model = "SVD (biased MF, 10 SGD epochs)"
    algorithm = "SVD"

    def convert(self, ratings):
        from surprise import Dataset, Reader

        scale = (float(ratings.values.min()), float(ratings.values.max()))
        frame = pair_frame(ratings.users, ratings.items, ratings.values)
        return Dataset.load_from_df(frame, Reader(rating_scale=scale)).build_full_trainset()

    def fit(self, data, dataset):
        import surprise

        model = getattr(surprise, self.algorithm)(n_factors=RANK, n_epochs=N_ITER, random_state=0)
        return model.fit(data)

    def predict(self, fitted, users, items):
        # Surprise clips to the training scale itself and falls back to the global mean
        # plus the known bias for unknown users or items.
        return np.array(
            [fitted.predict(int(u), int(i)).est for u, i in zip(users, items, strict=True)]
        )


class SurpriseSVDpp(SurpriseSVD):
    model = "SVD++ (10 SGD epochs)"
    algorithm = "SVDpp"
    datasets = ("ml100k",)  # hours on 6.3M ratings


class CornacMF(Peer):
    library, package, distribution = "cornac", "cornac", "cornac"
    model = "MF (biased, 10 SGD epochs, Cython)"
    threads = str(THREADS)

    def convert(self, ratings):
        from cornac.data import Dataset

        triples = zip(
            ratings.users.tolist(), ratings.items.tolist(), ratings.values.tolist(), strict=True
        )
        return Dataset.from_uir(list(triples), seed=0)

    def fit(self, data, dataset):
        from cornac.models import MF

        model = MF(k=RANK, max_iter=N_ITER, num_threads=THREADS, seed=0, verbose=False)
        return model.fit(data)

    def predict(self, fitted, users, items):
        uid_map, iid_map = fitted.train_set.uid_map, fitted.train_set.iid_map
        predicted = np.full(len(users), np.nan)
        for user in np.unique(users):
            if int(user) not in uid_map:
                continue
            scores = fitted.score(uid_map[int(user)])
            for row in np.flatnonzero(users == user):
                inner = iid_map.get(int(items[row]))
                if inner is not None:
                    predicted[row] = scores[inner]
        return predicted


class SparkALS(Peer):
    library, package, distribution = "spark", "pyspark", "pyspark"
    model = "MLlib ALS (no biases), local[2]"
    threads = "local[2]"
    driver_memory = "6g"

    def start(self):
        from pyspark.sql import SparkSession

        began = time.perf_counter()
        self.spark = (
            SparkSession.builder.master(f"local[{THREADS}]")
            .appName("mangaki-bench")
            .config("spark.driver.memory", self.driver_memory)
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", str(2 * THREADS))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        return time.perf_counter() - began

    def stop(self):
        self.spark.stop()

    def convert(self, ratings):
        frame = self.spark.createDataFrame(pair_frame(ratings.users, ratings.items, ratings.values))
        frame = frame.cache()
        frame.count()  # materialise now, so the fit does not pay for the handover
        return frame

    def fit(self, data, dataset):
        from pyspark.ml.recommendation import ALS

        from recommender.algorithms.als import ALS as OurALS

        reg = OurALS(**_our_settings(dataset)).reg
        als = ALS(
            rank=RANK, maxIter=N_ITER, regParam=reg, seed=0,
            userCol="user_id", itemCol="item_id", ratingCol="rating",
            coldStartStrategy="nan",
        )  # fmt: skip
        return als.fit(data)

    def predict(self, fitted, users, items):
        frame = pair_frame(users, items)
        frame["row"] = np.arange(len(frame))
        scored = fitted.transform(self.spark.createDataFrame(frame)).toPandas()
        predicted = np.full(len(users), np.nan)
        predicted[scored["row"].to_numpy()] = scored["prediction"].to_numpy(np.float64)
        return predicted


PEERS = {
    "mangaki": Ours,
    "lenskit": LensKit,
    "implicit": Implicit,
    "surprise": SurpriseSVD,
    "surprise-svdpp": SurpriseSVDpp,
    "cornac": CornacMF,
    "spark": SparkALS,
}


def table_start(header: str) -> list[str]:
    """A Markdown table's header and rule lines."""
    return [header, "|" + "---|" * header.count(" | ") + "---|"]


def peer_label(row: dict) -> str:
    """The peer's library name and version as a results row shows them."""
    name = row.get("library", row["peer"])
    return f"{name} {row['version']}" if row.get("version") else name


def failed_line(row: dict, name: str, blanks: int) -> str:
    """The table line of a peer that did not run: its status in the notes column."""
    cells = [row["dataset"], name, row.get("model", ""), *[""] * blanks, row["status"]]
    return "| " + " | ".join(cells) + " |"
