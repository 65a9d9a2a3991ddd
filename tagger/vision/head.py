"""The tag head: a multi-label linear classifier from poster embeddings to a tag vocabulary.

One logistic regression per tag, all fitted together (one weight matrix) by L-BFGS on
standardised embeddings with L2 regularisation. Each tag's decision threshold is chosen on a
held-out validation split to maximise that tag's F1, because tags are rare and a fixed 0.5
would predict almost nothing. Saved as a versioned ``.npz`` read with ``allow_pickle=False``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from threadpoolctl import threadpool_limits

from tagger.vision.metrics import (
    average_precision,
    best_f1_thresholds,
    precision_recall_f1,
    precision_thresholds,
    rate_thresholds,
    roc_auc,
)
from tagger.vision.npz import save_npz

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2
# Files of version 1 have no threshold rule: they were calibrated for F1.
READABLE_VERSIONS = (1, 2)
KIND = "mangaki.tagger.TagHead"


class TagHead:
    """Multi-label logistic regression with per-tag F1-calibrated thresholds.

    Parameters
    ----------
    alpha : L2 penalty on the weights (loss is the mean over rows of the summed log-losses).
    validation_fraction : share of rows held out to calibrate thresholds (0 keeps 0.5).
    refit : after calibration, refit the weights on all rows (thresholds are kept).
    max_iter : L-BFGS iterations.
    backbone : name of the backbone whose embeddings this head reads (checked at load).
    random_state : seed of the validation split.
    threshold_rule : "f1" (each tag's threshold maximises its F1 on the validation rows) or
        "precision" (the lowest threshold whose validation precision is >= ``min_precision``:
        fewer, surer tags; F1-optimal thresholds on rare tags predict far more tags than
        posters have).
        "rate" (each tag is predicted on as many validation rows as truly have it: the number
        of tags per poster matches the truth on average, and precision equals recall).
    min_precision : the precision the "precision" rule asks of every tag.

    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 16)); Y = (X[:, :2] > 0).astype(int)
    >>> head = TagHead(random_state=0).fit(X, Y, tag_names=["a", "b"])
    >>> head.predict_tags(X[0])  # doctest: +SKIP
    [('a', 0.97)]
    """

    def __init__(
        self,
        alpha: float = 1.0,
        validation_fraction: float = 0.25,
        refit: bool = True,
        max_iter: int = 500,
        backbone: str = "efficientnet-lite0",
        random_state: int | None = 0,
        threshold_rule: str = "f1",
        min_precision: float = 0.5,
    ):
        self.alpha = alpha
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.max_iter = max_iter
        self.backbone = backbone
        self.random_state = random_state
        self.threshold_rule = threshold_rule
        self.min_precision = min_precision

    def get_params(self, deep: bool = True) -> dict:
        """Hyper-parameters by name (scikit-learn's ``clone`` and grid searches use this)."""
        return {
            name: getattr(self, name)
            for name in (
                "alpha",
                "validation_fraction",
                "refit",
                "max_iter",
                "backbone",
                "random_state",
                "threshold_rule",
                "min_precision",
            )
        }

    def set_params(self, **params) -> TagHead:
        """Set hyper-parameters by name; returns self."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"unknown TagHead parameter {name!r}")
            setattr(self, name, value)
        return self

    # -- fitting -------------------------------------------------------------------------

    def _validate(self, X, Y, tag_names):
        if not self.alpha > 0:
            raise ValueError(f"alpha must be > 0, got {self.alpha}")
        if self.threshold_rule not in ("f1", "precision", "rate"):
            raise ValueError(
                f"threshold_rule must be 'f1', 'precision' or 'rate', not {self.threshold_rule!r}"
            )
        if not 0 < self.min_precision <= 1:
            raise ValueError(f"min_precision must be in (0, 1], got {self.min_precision}")
        if not 0 <= self.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction must be in [0, 1), got {self.validation_fraction}"
            )
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y)
        if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
            raise ValueError(f"need X (n, d) and Y (n, tags) with the same n: {X.shape}, {Y.shape}")
        if not np.isfinite(X).all():
            raise ValueError("embeddings contain NaN or infinite values")
        if not np.isin(Y, (0, 1)).all():
            raise ValueError("the tag matrix must contain only 0 and 1")
        if tag_names is None:
            tag_names = [f"tag_{j}" for j in range(Y.shape[1])]
        tag_names = [str(name) for name in tag_names]
        if len(tag_names) != Y.shape[1] or len(set(tag_names)) != len(tag_names):
            raise ValueError("tag_names must be distinct, one per column of Y")
        return X, Y.astype(np.float64), tag_names

    def _solve(self, Z: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weights (d, tags) and intercepts minimising mean log-loss + alpha/2 |W|^2."""
        n, d = Z.shape
        tags = Y.shape[1]
        # Start the intercepts at the log-odds of each tag's frequency so rare tags begin right.
        rate = np.clip(Y.mean(axis=0), 1e-3, 1 - 1e-3)
        start = np.concatenate([np.zeros(d * tags), np.log(rate / (1 - rate))])

        def loss_and_grad(params):
            W = params[: d * tags].reshape(d, tags)
            b = params[d * tags :]
            logits = Z @ W + b
            loss = -(Y * log_expit(logits) + (1 - Y) * log_expit(-logits)).sum() / n
            residual = (expit(logits) - Y) / n
            grad_w = Z.T @ residual + self.alpha * W
            return (
                loss + 0.5 * self.alpha * float((W * W).sum()),
                np.concatenate([grad_w.ravel(), residual.sum(axis=0)]),
            )

        # Hundreds of small matrix products: BLAS threads cost more than they save (30x slower
        # measured on a busy 2-core machine), so the solver runs single-threaded.
        with threadpool_limits(limits=1, user_api="blas"):
            result = minimize(
                loss_and_grad,
                start,
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": self.max_iter},
            )
        if not result.success:
            logger.warning("TagHead optimisation stopped early: %s", result.message)
        return result.x[: d * tags].reshape(d, tags), result.x[d * tags :]

    def fit(self, X, Y, tag_names=None) -> TagHead:
        """Fit on embeddings X (n, d) and a 0/1 tag matrix Y (n, tags); returns self."""
        X, Y, tag_names = self._validate(X, Y, tag_names)
        n = len(X)
        rng = np.random.default_rng(self.random_state)
        n_val = int(round(n * self.validation_fraction))
        order = rng.permutation(n)
        val, train = order[:n_val], order[n_val:]
        if len(train) == 0:
            raise ValueError("no training rows left after the validation split")

        self.mean_ = X[train].mean(axis=0)
        self.scale_ = X[train].std(axis=0)
        self.scale_[self.scale_ < 1e-8] = 1.0
        self.coef_, self.intercept_ = self._solve(self._standardise(X[train]), Y[train])
        if n_val > 0:
            scores = self.predict_proba(X[val])
            if self.threshold_rule == "rate":
                self.thresholds_, self.validation_f1_ = rate_thresholds(Y[val], scores)
            elif self.threshold_rule == "precision":
                self.thresholds_, self.validation_f1_ = precision_thresholds(
                    Y[val], scores, self.min_precision
                )
            else:
                self.thresholds_, self.validation_f1_ = best_f1_thresholds(Y[val], scores)
        else:
            self.thresholds_ = np.full(Y.shape[1], 0.5)
            self.validation_f1_ = np.zeros(Y.shape[1])
        if self.refit and n_val > 0:
            self.mean_ = X.mean(axis=0)
            self.scale_ = X.std(axis=0)
            self.scale_[self.scale_ < 1e-8] = 1.0
            self.coef_, self.intercept_ = self._solve(self._standardise(X), Y)
        self.tag_names_ = np.array(tag_names, dtype=np.str_)
        self.n_features_in_ = X.shape[1]
        self.tag_frequency_ = Y.mean(axis=0)
        return self

    # -- prediction ----------------------------------------------------------------------

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise RuntimeError("this TagHead is not fitted yet: call fit() or TagHead.load()")

    def _standardise(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) / self.scale_

    def predict_proba(self, X) -> np.ndarray:
        """(n, d) embeddings -> (n, tags) probabilities, one independent sigmoid per tag.

        >>> head.predict_proba(embeddings).shape  # doctest: +SKIP
        (n, len(head.tag_names_))
        """
        self._check_fitted()
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if X.shape[1] != self.coef_.shape[0]:
            raise ValueError(f"expected {self.coef_.shape[0]}-d embeddings, got {X.shape[1]}-d")
        return expit(self._standardise(X) @ self.coef_ + self.intercept_)

    def predict(self, X) -> np.ndarray:
        """(n, d) -> (n, tags) 0/1 decisions with the calibrated thresholds."""
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int8)

    def tags_from_proba(self, probabilities: np.ndarray) -> list[tuple[str, float]]:
        """One row of probabilities -> [(tag, probability)] above threshold, most likely first."""
        probabilities = np.asarray(probabilities, dtype=np.float64)
        chosen = np.flatnonzero(probabilities >= self.thresholds_)
        chosen = chosen[np.argsort(-probabilities[chosen], kind="stable")]
        return [(str(self.tag_names_[j]), float(probabilities[j])) for j in chosen]

    def predict_tags(self, embedding) -> list[tuple[str, float]]:
        """One embedding (d,) -> [(tag, probability)] above each tag's threshold, best first.

        >>> head.predict_tags(analysis.embedding)  # doctest: +SKIP
        [('Comedy', 0.81), ('School', 0.42)]
        """
        embedding = np.asarray(embedding)
        if embedding.ndim != 1:
            raise ValueError("predict_tags takes one embedding; use predict_proba for a batch")
        return self.tags_from_proba(self.predict_proba(embedding)[0])

    # -- persistence ---------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted head to ``path`` (.npz) atomically; returns the path.

        >>> TagHead.load(head.save(tmp / "head.npz")).tag_names_  # doctest: +SKIP
        """
        self._check_fitted()
        path = Path(path)
        arrays = {
            "format_version": np.array(FORMAT_VERSION),
            "kind": np.array(KIND),
            "backbone": np.array(self.backbone),
            "alpha": np.array(self.alpha, dtype=np.float64),
            "validation_fraction": np.array(self.validation_fraction, dtype=np.float64),
            "refit": np.array(self.refit),
            "max_iter": np.array(self.max_iter),
            "random_state": np.array(-1 if self.random_state is None else self.random_state),
            "threshold_rule": np.array(self.threshold_rule),
            "min_precision": np.array(self.min_precision, dtype=np.float64),
            "tag_names": self.tag_names_,
            "coef": self.coef_,
            "intercept": self.intercept_,
            "mean": self.mean_,
            "scale": self.scale_,
            "thresholds": self.thresholds_,
            "validation_f1": self.validation_f1_,
            "tag_frequency": self.tag_frequency_,
        }
        return save_npz(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, backbone: str | None = None) -> TagHead:
        """Read a head saved by :meth:`save`; refuses other formats, versions or backbones.

        >>> head = TagHead.load("models/tag_head.npz")  # doctest: +SKIP
        """
        with np.load(path, allow_pickle=False) as data:
            if "kind" not in data or str(data["kind"]) != KIND:
                raise ValueError(f"{path} is not a saved TagHead")
            version = int(data["format_version"])
            if version not in READABLE_VERSIONS:
                raise ValueError(
                    f"{path} has TagHead format {version}; this code reads {FORMAT_VERSION}"
                )
            if backbone is not None and str(data["backbone"]) != backbone:
                raise ValueError(
                    f"{path} was trained on {data['backbone']} embeddings, not {backbone}"
                )
            seed = int(data["random_state"])
            head = cls(
                alpha=float(data["alpha"]),
                validation_fraction=float(data["validation_fraction"]),
                refit=bool(data["refit"]),
                max_iter=int(data["max_iter"]),
                backbone=str(data["backbone"]),
                random_state=None if seed < 0 else seed,
                threshold_rule=str(data["threshold_rule"]) if version >= 2 else "f1",
                min_precision=float(data["min_precision"]) if version >= 2 else 0.5,
            )
            head.tag_names_ = data["tag_names"].astype(np.str_)
            head.coef_ = data["coef"]
            head.intercept_ = data["intercept"]
            head.mean_ = data["mean"]
            head.scale_ = data["scale"]
            head.thresholds_ = data["thresholds"]
            head.validation_f1_ = data["validation_f1"]
            head.tag_frequency_ = data["tag_frequency"]
        head.n_features_in_ = head.coef_.shape[0]
        return head


def evaluate(head: TagHead, X, Y) -> dict[str, dict[str, float]]:
    """Per-tag quality of a fitted head on held-out rows.

    Returns ``{tag: {"precision", "recall", "f1", "auc", "average_precision", "support"}}``;
    AUC is NaN for a tag with no positive or no negative held-out row.

    >>> evaluate(head, X_test, Y_test)["Comedy"]["auc"]  # doctest: +SKIP
    0.71
    """
    Y = np.asarray(Y)
    scores = head.predict_proba(X)
    precision, recall, f1 = precision_recall_f1(Y, scores >= head.thresholds_)
    auc = roc_auc(Y, scores)
    ap = average_precision(Y, scores)
    support = Y.sum(axis=0)
    return {
        str(name): {
            "precision": float(precision[j]),
            "recall": float(recall[j]),
            "f1": float(f1[j]),
            "auc": float(auc[j]),
            "average_precision": float(ap[j]),
            "support": int(support[j]),
        }
        for j, name in enumerate(head.tag_names_)
    }
