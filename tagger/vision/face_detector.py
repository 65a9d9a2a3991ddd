"""Anime faces read off the backbone's own feature maps: no second pass over the poster.

A small convolutional head (:class:`FaceDetector`) looks at the maps EfficientNet-Lite0
computes anyway for the embedding (stride 8: 28 x 28 cells of 40 channels, stride 16: 14 x 14
of 112, stride 32: 7 x 7 of 320, for a 224 input) and gives, per stride-8 cell, the
probability that a face is centred there, the centre's offset inside the cell and the face's
width and height. Faces are the cells that are a local maximum (3 x 3) of that probability
and reach ``threshold``. Cost: a fraction of a millisecond on top of the forward pass, where
searching the poster with animeface (nvxs) at the size its windows need cost 280-440 ms.

Teacher: nvxs itself, run offline (``python -m benchmarks.fit_face_detector``) on the
shared posters at several sizes, mirrored and shifted by a pixel, faces merged: nvxs finds a
face only when one of its windows falls well on it, and these variants together find 57% more
faces than one 2x search. The head learns where faces are from those boxes, on posters cropped
and mirrored; it does not inherit nvxs's window grid. The weights ship with the code
(``face_detector.npz``); no poster is shipped.

>>> detector = FaceDetector.load()  # doctest: +SKIP
>>> detector.detect(maps, image.size)  # doctest: +SKIP
[((41, 52, 30, 31), 0.83)]
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from tagger.vision.npz import save_npz

FORMAT_VERSION = 1
KIND = "mangaki.tagger.FaceDetector"
DEFAULT_PATH = Path(__file__).with_name("face_detector.npz")
# The maps the head reads, by their side for a 224 input (stride 8, 16, 32), and channels.
MAP_CHANNELS = {28: 40, 14: 112, 7: 320}
OUTPUTS = 5  # centre logit, offset x, offset y, log width, log height (in cells)

Box = tuple[int, int, int, int]  # x, y, width, height in the poster's pixels


def padded_geometry(width: int, height: int, input_size: int) -> tuple[float, float, float]:
    """Scale and offsets of a ``width`` x ``height`` poster padded into the model's square.

    Matches :func:`tagger.vision.preprocess.resize_for_model` with ``fit="pad"``.

    >>> padded_geometry(200, 400, 224)
    (0.56, 56.0, 0.0)
    """
    scale = input_size / max(width, height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    return scale, float((input_size - new_w) // 2), float((input_size - new_h) // 2)


def targets(
    boxes: list[tuple[float, float, float, float]],
    image_size: tuple[int, int],
    side: int = 28,
    input_size: int = 224,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training targets of one poster: a (side, side) heat map (1 at each face's centre cell,
    a Gaussian around it as wide as a sixth of the face), the (4, side, side) offsets and log
    sizes at those cells, and the (side, side) 0/1 centre cells.

    >>> heat, _, centres = targets([(0, 0, 100, 100)], (200, 200), side=4)
    >>> int(centres.sum()), float(heat.max())
    (1, 1.0)
    """
    scale, left, top = padded_geometry(*image_size, input_size)
    cell = input_size / side
    heat = np.zeros((side, side), np.float32)
    regression = np.zeros((4, side, side), np.float32)
    centres = np.zeros((side, side), np.float32)
    rows, cols = np.mgrid[0:side, 0:side]
    for x, y, w, h in boxes:
        cx, cy = ((x + w / 2) * scale + left) / cell, ((y + h / 2) * scale + top) / cell
        col, row = min(side - 1, int(cx)), min(side - 1, int(cy))
        width, height = max(w * scale / cell, 1e-3), max(h * scale / cell, 1e-3)
        sigma = max(0.5, width / 6)
        blob = np.exp(-((cols - col) ** 2 + (rows - row) ** 2) / (2 * sigma**2))
        heat = np.maximum(heat, blob.astype(np.float32))
        regression[:, row, col] = [cx - col, cy - row, math.log(width), math.log(height)]
        centres[row, col] = 1.0
    return heat, regression, centres


class FaceDetector:
    """Face centres and sizes from the backbone's maps.

    Parameters
    ----------
    hidden : channels of the head's layers.
    threshold : a face is a local maximum of the centre probability at least this high.
    weight_decay, epochs, learning_rate, random_state : training (AdamW, batches of 32).
    """

    def __init__(
        self,
        hidden: int = 32,
        threshold: float = 0.1,
        weight_decay: float = 1e-2,
        epochs: int = 40,
        learning_rate: float = 2e-3,
        random_state: int = 0,
    ):
        self.hidden = hidden
        self.threshold = threshold
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.random_state = random_state

    # -- the network -------------------------------------------------------------------------

    def _run(self, maps: dict[int, Any], params: dict[str, Any]):
        """The head on standardised maps (torch tensors, (n, c, side, side) per side)."""
        import torch.nn.functional as F

        total: Any = 0
        for side, x in maps.items():
            reduced = F.conv2d(x, params[f"reduce{side}.weight"], params[f"reduce{side}.bias"])
            if side != 28:
                reduced = F.interpolate(
                    reduced, size=(28, 28), mode="bilinear", align_corners=False
                )
            total = total + reduced
        hidden = F.relu(total)
        for layer in ("conv1", "conv2"):
            hidden = F.relu(
                F.conv2d(hidden, params[f"{layer}.weight"], params[f"{layer}.bias"], padding=1)
            )
        return F.conv2d(hidden, params["out.weight"], params["out.bias"])

    def _standardised(self, maps: dict[int, np.ndarray]):
        import torch

        return {
            side: torch.from_numpy(
                (np.asarray(maps[side], dtype=np.float32) - self.mean_[side]) / self.scale_[side]
            )
            for side in MAP_CHANNELS
        }

    # -- fitting -----------------------------------------------------------------------------

    def fit(
        self,
        maps: dict[int, np.ndarray],
        boxes: list[list[tuple[float, float, float, float]]],
        image_sizes: list[tuple[int, int]],
        eye_boxes: np.ndarray | None = None,
    ) -> FaceDetector:
        """Fit on the maps of n posters ({side: (n, c, side, side)}), each poster's face boxes
        (x, y, w, h in its pixels) and sizes; returns self.

        ``eye_boxes`` (2, 4): where a face's eyes are, as fractions of its box (x, y, w, h),
        for the eye colour; the teacher's average.
        """
        import torch

        torch.manual_seed(self.random_state)
        n = len(boxes)
        self.mean_ = {s: maps[s].mean(axis=(0, 2, 3), keepdims=True)[0] for s in MAP_CHANNELS}
        self.scale_ = {
            s: maps[s].std(axis=(0, 2, 3), keepdims=True)[0] + 1e-3 for s in MAP_CHANNELS
        }
        self.eye_boxes_ = (
            np.asarray(eye_boxes, np.float32)
            if eye_boxes is not None
            else np.array([[0.15, 0.4, 0.3, 0.3], [0.55, 0.4, 0.3, 0.3]], np.float32)
        )
        inputs = self._standardised(maps)
        made = [targets(b, size) for b, size in zip(boxes, image_sizes, strict=True)]
        heat, regression, centres = (torch.from_numpy(np.stack(t)) for t in zip(*made, strict=True))
        params = self._initial_params()
        optimiser = torch.optim.AdamW(
            params.values(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        rng = np.random.default_rng(self.random_state)
        for _ in range(self.epochs):
            order = rng.permutation(n)
            for start in range(0, n, 32):
                rows = torch.from_numpy(order[start : start + 32])
                out = self._run({s: x[rows] for s, x in inputs.items()}, params)
                loss = _focal_loss(out[:, 0], heat[rows]) + 0.2 * _box_loss(
                    out[:, 1:], regression[rows], centres[rows]
                )
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        self.params_ = {name: value.detach().numpy().copy() for name, value in params.items()}
        return self

    def _initial_params(self) -> dict:
        import torch

        layers = {
            f"reduce{side}": torch.nn.Conv2d(c, self.hidden, 1) for side, c in MAP_CHANNELS.items()
        }
        layers["conv1"] = torch.nn.Conv2d(self.hidden, self.hidden, 3, padding=1)
        layers["conv2"] = torch.nn.Conv2d(self.hidden, self.hidden, 3, padding=1)
        out = layers["out"] = torch.nn.Conv2d(self.hidden, OUTPUTS, 1)
        assert out.bias is not None
        with torch.no_grad():
            out.bias[0] = -4.0  # faces are rare: start from "no face here"
        return {
            f"{name}.{kind}": getattr(layer, kind).detach().clone().requires_grad_(True)
            for name, layer in layers.items()
            for kind in ("weight", "bias")
        }

    # -- prediction --------------------------------------------------------------------------

    def predict_maps(self, maps: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Maps of n posters -> (n, 28, 28) centre probabilities and (n, 4, 28, 28) boxes."""
        import torch

        if not hasattr(self, "params_"):
            raise RuntimeError("this FaceDetector is not fitted: call fit() or load()")
        params = {name: torch.from_numpy(value) for name, value in self.params_.items()}
        with torch.inference_mode():
            out = self._run(self._standardised(maps), params).numpy()
        return 1.0 / (1.0 + np.exp(-out[:, 0])), out[:, 1:]

    def detect(
        self,
        maps: dict[int, np.ndarray],
        image_size: tuple[int, int],
        input_size: int = 224,
        threshold: float | None = None,
    ) -> list[tuple[Box, float]]:
        """Faces of one poster from its maps ({side: (c, side, side)}): [(box, probability)],
        most probable first, boxes in the poster's pixels."""
        threshold = self.threshold if threshold is None else threshold
        probability, regression = self.predict_maps({s: m[None] for s, m in maps.items()})
        probability, regression = probability[0], regression[0]
        side = probability.shape[0]
        padded = np.pad(probability, 1, constant_values=-1.0)
        windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
        peaks = (probability >= windows.max(axis=(2, 3))) & (probability >= threshold)
        scale, left, top = padded_geometry(*image_size, input_size)
        cell = input_size / side
        width, height = image_size
        found = []
        for row, col in zip(*np.nonzero(peaks), strict=True):
            dx, dy, log_w, log_h = regression[:, row, col]
            w, h = math.exp(log_w) * cell / scale, math.exp(log_h) * cell / scale
            cx = ((col + dx) * cell - left) / scale
            cy = ((row + dy) * cell - top) / scale
            x, y = max(0.0, cx - w / 2), max(0.0, cy - h / 2)
            w, h = min(w, width - x), min(h, height - y)
            if w >= 2 and h >= 2:
                box = (round(x), round(y), round(w), round(h))
                found.append((box, round(float(probability[row, col]), 4)))
        found.sort(key=lambda item: -item[1])
        return found

    def eye_boxes(self, box: Box) -> tuple[Box, Box]:
        """Where the eyes of a face with this box are expected (the teacher's average)."""
        x, y, w, h = box
        left, right = (
            (round(x + fx * w), round(y + fy * h), max(1, round(fw * w)), max(1, round(fh * h)))
            for fx, fy, fw, fh in self.eye_boxes_
        )
        return left, right

    # -- persistence -------------------------------------------------------------------------

    def save(self, path: str | os.PathLike = DEFAULT_PATH) -> Path:
        """Write the fitted weights (.npz) atomically; returns the path."""
        path = Path(path)
        arrays = {
            "format_version": np.array(FORMAT_VERSION),
            "kind": np.array(KIND),
            "hidden": np.array(self.hidden),
            "threshold": np.array(self.threshold),
            "eye_boxes": self.eye_boxes_,
            **{f"mean{s}": self.mean_[s] for s in MAP_CHANNELS},
            **{f"scale{s}": self.scale_[s] for s in MAP_CHANNELS},
            **{f"param:{name}": value for name, value in self.params_.items()},
        }
        return save_npz(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike = DEFAULT_PATH) -> FaceDetector:
        """Read weights written by :meth:`save` (``allow_pickle=False``)."""
        with np.load(path, allow_pickle=False) as data:
            if "kind" not in data or str(data["kind"]) != KIND:
                raise ValueError(f"{Path(path).name} is not a saved FaceDetector")
            if int(data["format_version"]) != FORMAT_VERSION:
                raise ValueError(f"{Path(path).name} has an unknown FaceDetector format")
            detector = cls(hidden=int(data["hidden"]), threshold=float(data["threshold"]))
            detector.eye_boxes_ = data["eye_boxes"].astype(np.float32)
            detector.mean_ = {s: data[f"mean{s}"].astype(np.float32) for s in MAP_CHANNELS}
            detector.scale_ = {s: data[f"scale{s}"].astype(np.float32) for s in MAP_CHANNELS}
            detector.params_ = {
                key.removeprefix("param:"): data[key].astype(np.float32)
                for key in data.files
                if key.startswith("param:")
            }
        return detector


def _focal_loss(logits, heat):
    """CenterNet's focal loss: centre cells pulled up, their neighbours pushed down gently."""
    import torch

    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    centre = (heat >= 0.999).float()
    positive = -((1 - p) ** 2) * torch.log(p) * centre
    negative = -((1 - heat) ** 4) * p**2 * torch.log(1 - p) * (1 - centre)
    return (positive.sum() + negative.sum()) / centre.sum().clamp(min=1)


def _box_loss(predicted, regression, centres):
    import torch.nn.functional as F

    error = F.l1_loss(predicted, regression, reduction="none").sum(dim=1) * centres
    return error.sum() / centres.sum().clamp(min=1)


@functools.cache
def default_detector() -> FaceDetector | None:
    """The shipped detector, or None if its file is missing (faces are then not searched)."""
    return FaceDetector.load() if DEFAULT_PATH.is_file() else None
