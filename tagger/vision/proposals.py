"""Where faces may be: a per-cell face score from the backbone's stride-8 feature map.

animeface (nvxs) evaluates a 1152-feature classifier on every window of the image and needs the
image upscaled 2x to see the posters' 20-40 pixel faces: ~280 ms of CPU per poster, ten times
the backbone. The backbone's stride-8 map (28 x 28 cells of 40 channels for a 224 input, a
by-product of the embedding) already says where face-like things are. A logistic regression per
cell, trained on where nvxs finds faces at 2x on posters, scores the cells; only the parts
around the best cells are searched by nvxs (:func:`tagger.vision.faces.detect_faces`),
which then costs a few tens of milliseconds.

The weights ship with the code (``face_proposals.npz``, 40 weights, fitted by
``python -m benchmarks.fit_face_proposals``); no poster is shipped.

>>> proposals = FaceProposals.load()  # doctest: +SKIP
>>> proposals.mask(maps[0], image.size).mean()  # share of the poster searched  # doctest: +SKIP
0.14
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import numpy as np
from scipy import ndimage
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from threadpoolctl import threadpool_limits

FORMAT_VERSION = 1
KIND = "mangaki.tagger.FaceProposals"
DEFAULT_PATH = Path(__file__).with_name("face_proposals.npz")


def padded_geometry(width: int, height: int, input_size: int) -> tuple[float, float, float]:
    """Scale and offsets of a ``width`` x ``height`` poster padded into the model's square.

    Matches :func:`tagger.vision.preprocess.resize_for_model` with ``fit="pad"``.

    >>> padded_geometry(200, 400, 224)
    (0.56, 56.0, 0.0)
    """
    scale = input_size / max(width, height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    return scale, float((input_size - new_w) // 2), float((input_size - new_h) // 2)


class FaceProposals:
    """Per-cell face scores and the regions they point to.

    Parameters
    ----------
    threshold : cells scoring at least this are searched.
    grow : chosen cells are grown by this many cells up, down, left and right.
    """

    def __init__(self, threshold: float = 0.05, grow: int = 2):
        self.threshold = threshold
        self.grow = grow

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, maps: np.ndarray, targets: np.ndarray, alpha: float = 2e-4) -> FaceProposals:
        """Fit on stride-8 maps (n, c, h, w) and 0/1 face-centre cells (n, h, w); returns self.

        Class-balanced logistic regression (face centres are ~1% of the cells), L2 penalty
        ``alpha`` on the mean loss, L-BFGS on standardised channels.
        """
        maps = np.asarray(maps, dtype=np.float64)
        X = maps.transpose(0, 2, 3, 1).reshape(-1, maps.shape[1])
        y = np.asarray(targets).reshape(-1).astype(np.float64)
        if not 0 < y.sum() < len(y):
            raise ValueError("need both face and background cells to fit")
        self.mean_ = X.mean(axis=0).astype(np.float32)
        scale = X.std(axis=0)
        scale[scale < 1e-8] = 1.0
        self.scale_ = scale.astype(np.float32)
        Z = (X - self.mean_) / self.scale_
        weight = np.where(y > 0, 0.5 / y.mean(), 0.5 / (1 - y.mean())) / len(y)

        def loss_and_grad(params):
            w, b = params[:-1], params[-1]
            logits = Z @ w + b
            loss = -(weight * (y * log_expit(logits) + (1 - y) * log_expit(-logits))).sum()
            residual = weight * (expit(logits) - y)
            grad = np.append(Z.T @ residual + alpha * w, residual.sum())
            return loss + 0.5 * alpha * float(w @ w), grad

        with threadpool_limits(limits=1, user_api="blas"):
            result = minimize(loss_and_grad, np.zeros(Z.shape[1] + 1), jac=True, method="L-BFGS-B")
        self.coef_ = result.x[:-1].astype(np.float32)
        self.intercept_ = float(result.x[-1])
        return self

    # -- prediction ------------------------------------------------------------------------

    def score_map(self, feature_map: np.ndarray) -> np.ndarray:
        """One stride-8 map (c, h, w) -> (h, w) face probabilities."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("these FaceProposals are not fitted: call fit() or load()")
        cells = np.moveaxis(np.asarray(feature_map, dtype=np.float32), 0, -1)
        return expit(((cells - self.mean_) / self.scale_) @ self.coef_ + self.intercept_)

    def mask(
        self, feature_map: np.ndarray, image_size: tuple[int, int], input_size: int = 224
    ) -> np.ndarray:
        """(height, width) boolean mask of the poster's pixels worth searching for faces.

        Chosen cells grow by ``grow`` cells up, down, left and right (a face's box reaches past
        the cells that look most like a face, and nvxs's windows need the whole face).

        >>> FaceProposals.load().mask(np.zeros((40, 28, 28)), (214, 318)).shape  # doctest: +SKIP
        (318, 214)
        """
        width, height = image_size
        scores = self.score_map(feature_map)
        chosen = scores >= self.threshold
        if self.grow:
            chosen = ndimage.binary_dilation(chosen, iterations=self.grow)
        side = scores.shape[0]
        scale, left, top = padded_geometry(width, height, input_size)
        # Poster pixel -> cell index (the padded square is cut into side x side cells).
        cols = np.clip(((np.arange(width) + 0.5) * scale + left) * side // input_size, 0, side - 1)
        rows = np.clip(((np.arange(height) + 0.5) * scale + top) * side // input_size, 0, side - 1)
        return chosen[np.ix_(rows.astype(int), cols.astype(int))]

    # -- persistence -----------------------------------------------------------------------

    def save(self, path: str | os.PathLike = DEFAULT_PATH) -> Path:
        """Write the fitted weights (.npz) atomically; returns the path."""
        path = Path(path)
        arrays = {
            "format_version": np.array(FORMAT_VERSION),
            "kind": np.array(KIND),
            "threshold": np.array(self.threshold),
            "grow": np.array(self.grow),
            "coef": self.coef_,
            "intercept": np.array(self.intercept_),
            "mean": self.mean_,
            "scale": self.scale_,
        }
        handle, tmp_name = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, **arrays)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike = DEFAULT_PATH) -> FaceProposals:
        """Read weights written by :meth:`save` (``allow_pickle=False``)."""
        with np.load(path, allow_pickle=False) as data:
            if "kind" not in data or str(data["kind"]) != KIND:
                raise ValueError(f"{Path(path).name} is not a saved FaceProposals")
            if int(data["format_version"]) != FORMAT_VERSION:
                raise ValueError(f"{Path(path).name} has an unknown FaceProposals format")
            proposals = cls(
                threshold=float(data["threshold"]),
                grow=int(data["grow"]),
            )
            proposals.coef_ = data["coef"].astype(np.float32)
            proposals.intercept_ = float(data["intercept"])
            proposals.mean_ = data["mean"].astype(np.float32)
            proposals.scale_ = data["scale"].astype(np.float32)
        return proposals


@functools.cache
def default_proposals() -> FaceProposals | None:
    """The shipped proposals, or None if the file is missing (faces then search everywhere)."""
    return FaceProposals.load() if DEFAULT_PATH.is_file() else None


def face_cells(
    boxes: list[tuple[float, float, float, float]],
    image_size: tuple[int, int],
    side: int = 28,
    input_size: int = 224,
) -> np.ndarray:
    """Training target: (side, side) 0/1, the cells holding a face box's centre.

    Boxes are ``(x, y, width, height)`` in the poster's pixels.

    >>> int(face_cells([(0, 0, 100, 100)], (200, 200), side=4).sum())
    1
    """
    scale, left, top = padded_geometry(*image_size, input_size)
    cell = input_size / side
    target = np.zeros((side, side), dtype=np.int8)
    for x, y, w, h in boxes:
        cx = min(side - 1, int(((x + w / 2) * scale + left) / cell))
        cy = min(side - 1, int(((y + h / 2) * scale + top) / cell))
        target[cy, cx] = 1
    return target
