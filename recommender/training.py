"""Training from the database: snapshot, held-out evaluation, final fit, registry decision.

Never called from a web request: the Celery task (nightly, or "retrain now") and
``manage.py train`` run it.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from mangaki.models import Work
from recommender import model_files, registry
from recommender.models import RunStatus, TrainingRun
from recommender.pruning import prune_models
from recommender.snapshot import Snapshot, take_snapshot

logger = logging.getLogger(__name__)

DEFAULT_PARAMS = {
    "rank": 20,
    "reg": 0.1,
    "n_iter": 10,
    "alpha": 0.05,
    "validation_fraction": 0.3,
    "test_fraction": 0.1,
    "cold_start_fraction": 0.05,
    "seed": 0,
}
TOP_N = 20  # list length of the held-out top-N figures (the recommendations page's first screen)
TOPN_USERS = 3000  # people whose held-out lists are scored, at most
RELEVANT = 2.0  # like (2) and favorite (4): a held-out work the list should have found
Progress = Callable[[float, str], None]


class TrainingBusy(RuntimeError):
    """Another training is running; two never overlap."""


def make_model(params: dict):
    """The served model: a :class:`~recommender.algorithms.ranker.Ranker` for the lists,
    whose rating model (BALSE) gives the predicted choice and the taste explanations.

    ``pick_max_neighbours`` (``RECOMMENDER_PARAMS``; absent: dense) keeps that many
    weights per work in the item-to-item matrix: a smaller model file and serving memory
    on a large catalogue (docs/performance.md), the solve itself staying dense."""
    from recommender.algorithms.als import ALS
    from recommender.algorithms.balse import BALSE
    from recommender.algorithms.ease import EASE
    from recommender.algorithms.lasso import Lasso
    from recommender.algorithms.ranker import Ranker

    balse = BALSE(
        als=ALS(rank=params["rank"], reg=params["reg"], n_iter=params["n_iter"]),
        lasso=Lasso(alpha=params["alpha"]),
        validation_fraction=params["validation_fraction"],
        random_state=params["seed"],
    )
    neighbours = params.get("pick_max_neighbours")
    pick = EASE(max_neighbours=int(neighbours)) if neighbours else None
    return Ranker(pick=pick, rating_model=balse, random_state=params["seed"])


def holdout_split(snapshot: Snapshot, params: dict):
    """Test ratings: all ratings of a few works (cold start) plus a share of the others."""
    ratings = snapshot.ratings
    rng = np.random.default_rng(params["seed"])
    rated = np.flatnonzero(ratings.item_counts() > 0)
    n_cold = int(round(len(rated) * params["cold_start_fraction"]))
    cold_items = rng.choice(rated, size=n_cold, replace=False) if n_cold else np.array([], int)
    cold = np.isin(ratings.items, cold_items)
    test = cold | (rng.random(ratings.nnz) < params["test_fraction"])
    return ratings.subset(~test), ratings.subset(test), cold[test]


def score_run(snapshot: Snapshot, params: dict) -> dict:
    """Held-out figures of a model fit on the training split: RMSE of the predicted rating
    (whole, little-known and cold-start works) and the lists' top-N recall and nDCG (with
    the popularity list's, computed on the same split, for scale)."""
    from recommender.evaluation.metrics import rating_errors, rmse

    train, test, cold = holdout_split(snapshot, params)
    if train.nnz < 2 or test.nnz == 0:
        return {}
    model = make_model(params).fit(train, snapshot.item_features, snapshot.embeddings)
    balse = model.rating_model_
    predicted = balse.predict(test.users, test.items)
    # The evaluation protocol's definitions (cold-start works count as little-known).
    errors = rating_errors(test.values, predicted, train.item_counts()[test.items], cold)
    metrics = {
        "rmse": errors["rmse"],
        "mae": errors["mae"],
        "als_rmse": float(rmse(test.values, balse.als_.predict(test.users, test.items))),
        "lasso_rmse": float(rmse(test.values, balse.lasso_.predict(test.users, test.items))),
        "n_test": errors["n_test"],
        "beta": float(balse.beta_),
        "gamma": float(balse.gamma_),
    }
    for part in ("little_known", "cold_start"):
        if errors[f"n_{part}"]:
            metrics[f"rmse_{part}"] = errors[f"rmse_{part}"]
    metrics.update(topn_figures(model, train, test, cold))
    return metrics


def topn_figures(model, train, test, cold) -> dict:
    """recall/nDCG@20 of the model's lists and of the popularity list on held-out likes."""
    import scipy.sparse as sp

    from recommender.evaluation.topn import popularity_ranks, score_lists, top_lists

    liked = test.values >= RELEVANT
    shape = train.shape

    def matrix(users, items):
        return sp.csr_matrix((np.ones(len(users)), (users, items)), shape=shape)

    seen = matrix(train.users, train.items)
    relevant = matrix(test.users[liked], test.items[liked])
    relevant_cold = matrix(test.users[liked & cold], test.items[liked & cold])
    users = np.flatnonzero(np.diff(relevant.indptr) > 0)
    if len(users) == 0:
        return {}
    if len(users) > TOPN_USERS:  # a fixed sample: the figure, not every list, is wanted
        users = np.sort(np.random.default_rng(0).choice(users, TOPN_USERS, replace=False))
    ranks = popularity_ranks(train.item_counts())
    figures = {"n_topn_users": int(len(users))}
    for prefix, fitted in (("", model), ("popularity_", None)):
        lists = top_lists(fitted, train, users, TOP_N, seen)
        scored = score_lists(lists, relevant[users], relevant_cold[users], ranks)
        figures[f"{prefix}recall_at_20"] = scored["recall"]
        figures[f"{prefix}ndcg_at_20"] = scored["ndcg"]
        if prefix == "" and scored["n_cold_users"]:
            figures["cold_recall_at_20"] = scored["cold_recall"]
    return {k: v for k, v in figures.items() if not (isinstance(v, float) and np.isnan(v))}


def map_layout(model, snapshot: Snapshot, seed: int):
    """The taste map's layout of the model's works (:mod:`recommender.layout`), None when
    the model has no item factors or it cannot be computed: the model still serves, and
    the map page says it has no layout."""
    from mangaki.models import Tag
    from recommender.layout import compute_layout

    factors = model.item_vectors()
    if factors is None:
        return None
    genres = set(Tag.objects.filter(is_genre=True).values_list("name", flat=True))
    genre_mask = np.array([name in genres for name in snapshot.tag_names], dtype=bool)
    try:
        return compute_layout(
            np.asarray(factors), snapshot.item_features, snapshot.tag_names, genre_mask,
            counts=snapshot.ratings.item_counts(), random_state=seed,
        )  # fmt: skip
    except (ValueError, MemoryError):
        logger.exception("No taste map layout for this model")
        return None


def start_run(
    triggered_by: str = "manual", params: dict | None = None, task_id: str = ""
) -> TrainingRun:
    registry.reap_stale_runs()
    version = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    try:
        with transaction.atomic():
            return TrainingRun.objects.create(
                version=version,
                params={**DEFAULT_PARAMS, **(params or {})},
                triggered_by=triggered_by,
                task_id=task_id or "",
            )
    except IntegrityError:
        running = TrainingRun.objects.filter(status=RunStatus.RUNNING).first()
        raise TrainingBusy(
            f"training {running.version if running else '?'} is already running"
        ) from None


class _Heartbeat:
    """Tells the registry this process is alive, so a killed run is marked failed."""

    def __init__(self, run_id: int, every: float) -> None:
        self.run_id, self.every = run_id, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        from django.db import connection

        try:
            while not self.stop.wait(self.every):
                TrainingRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def run_training(run: TrainingRun, progress: Progress | None = None) -> TrainingRun:
    """Train, evaluate and register the model of a run created by :func:`start_run`."""
    durations: dict[str, float] = {}
    started = time.perf_counter()

    def report(fraction: float, message: str) -> None:
        TrainingRun.objects.filter(pk=run.pk).update(
            progress=fraction, progress_message=message[:200], heartbeat_at=timezone.now()
        )
        if progress:
            progress(fraction, message)

    every = max(1.0, registry.stale_after().total_seconds() / 4)
    try:
        with _Heartbeat(run.pk, every):
            report(0.05, "snapshot of ratings and tags")
            t = time.perf_counter()
            snapshot = take_snapshot()
            durations["snapshot"] = time.perf_counter() - t
            if snapshot.ratings.nnz < 10:
                raise ValueError(f"only {snapshot.ratings.nnz} ratings: not enough to train")
            run.n_users, run.n_items = snapshot.ratings.shape
            run.n_ratings, run.n_tags = snapshot.ratings.nnz, len(snapshot.tag_names)
            run.fingerprint, run.snapshot_at = snapshot.fingerprint(), snapshot.taken_at
            run.save(
                update_fields=[
                    "n_users",
                    "n_items",
                    "n_ratings",
                    "n_tags",
                    "fingerprint",
                    "snapshot_at",
                ]
            )

            report(0.2, "held-out evaluation")
            t = time.perf_counter()
            run.metrics = score_run(snapshot, run.params)
            durations["evaluate"] = time.perf_counter() - t
            run.save(update_fields=["metrics"])

            report(0.6, "fit on all ratings")
            t = time.perf_counter()
            model = make_model(run.params).fit(
                snapshot.ratings, snapshot.item_features, snapshot.embeddings
            )
            durations["fit"] = time.perf_counter() - t

            report(0.85, "taste map layout")
            t = time.perf_counter()
            layout = map_layout(model, snapshot, run.params["seed"])
            durations["layout"] = time.perf_counter() - t

            report(0.9, "save model files")
            nsfw = dict(Work.objects.filter(nsfw=True).values_list("pk", "nsfw"))
            work_nsfw = np.array([w in nsfw for w in snapshot.work_ids.tolist()], dtype=bool)
            path = model_files.save_bundle(run.version, model, snapshot, work_nsfw, layout)
            run.model_path = str(path)
            run.model_sha256, run.index_sha256 = model_files.checksums(path)
            durations["total"] = time.perf_counter() - started
            run.durations = {k: round(v, 3) for k, v in durations.items()}
            run.progress, run.progress_message = 1.0, "done"
            run.finished_at = timezone.now()
            run.status = RunStatus.REJECTED  # until the registry decides
            run.save()
            registry.decide(run)
    except Exception as exc:
        logger.exception("Training %s failed", run.version)
        TrainingRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:5000],
            finished_at=timezone.now(),
            durations={k: round(v, 3) for k, v in durations.items()},
        )
        raise
    run.refresh_from_db()
    _prune_old_versions()
    return run


def _prune_old_versions() -> None:
    """Old versions' files go after each training (MODEL_KEEP); a failure to delete them
    is logged and never fails the training that just finished."""
    try:
        prune_models()
    except Exception:
        logger.exception("Pruning old model versions failed")


def train(
    triggered_by: str = "manual", params: dict | None = None, progress=None, task_id: str = ""
) -> TrainingRun:
    """Start a run and carry it out (raises TrainingBusy if one is already running)."""
    return run_training(start_run(triggered_by, params, task_id), progress)


def settings_params() -> dict:
    return dict(getattr(settings, "RECOMMENDER_PARAMS", {}))
