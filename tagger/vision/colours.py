"""Naming the RGB colours measured on a poster (hair, eyes) with Danbooru-style words.

A colour is compared in CIE Lab (where distances roughly follow what people see) with a few
prototype colours per name; a softmax over the nearest-prototype distances gives how sure the
name is.
"""

from __future__ import annotations

import numpy as np

# Several prototypes per name because anime shading spreads one hair colour widely.
HAIR_PROTOTYPES: dict[str, list[tuple[int, int, int]]] = {
    "black hair": [(25, 25, 30), (50, 45, 60), (40, 40, 40)],
    "brown hair": [(110, 70, 40), (140, 95, 60), (85, 55, 40), (160, 120, 90), (105, 88, 78)],
    "blonde hair": [(245, 225, 140), (225, 190, 100), (250, 240, 185), (210, 180, 90)],
    "orange hair": [(240, 140, 50), (215, 105, 40), (250, 170, 90)],
    "red hair": [(190, 40, 40), (150, 30, 40), (210, 70, 60)],
    "pink hair": [(245, 165, 195), (230, 120, 170), (250, 200, 215)],
    "purple hair": [(140, 90, 170), (100, 70, 140), (180, 140, 210)],
    "blue hair": [(70, 110, 200), (40, 60, 130), (120, 170, 230), (60, 80, 110)],
    "aqua hair": [(80, 200, 200), (120, 220, 215)],
    "green hair": [(80, 160, 90), (60, 120, 70), (150, 200, 120)],
    "white hair": [(240, 240, 245), (225, 225, 235)],
    "grey hair": [(160, 160, 170), (120, 120, 130), (185, 180, 190)],
}

EYE_PROTOTYPES: dict[str, list[tuple[int, int, int]]] = {
    "black eyes": [(20, 20, 25), (45, 40, 45)],
    "brown eyes": [(110, 70, 40), (140, 95, 60), (80, 50, 35)],
    "yellow eyes": [(230, 200, 60), (200, 160, 40)],
    "orange eyes": [(230, 130, 40), (200, 100, 30)],
    "red eyes": [(190, 30, 40), (140, 25, 35), (220, 70, 70)],
    "pink eyes": [(235, 130, 180), (245, 170, 200)],
    "purple eyes": [(130, 80, 170), (90, 60, 130), (170, 130, 210)],
    "blue eyes": [(60, 100, 200), (40, 60, 140), (110, 160, 230), (60, 85, 120)],
    "aqua eyes": [(70, 190, 200), (110, 210, 210)],
    "green eyes": [(70, 150, 80), (50, 110, 60), (140, 190, 110)],
    "grey eyes": [(150, 150, 160), (110, 110, 120)],
}

# Lab distances of ~10 are "clearly different" colours; the temperature makes a prototype 10
# units nearer about e times more likely.
TEMPERATURE = 10.0


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB 0-255 (..., 3) -> CIE Lab (D65) (..., 3).

    >>> np.round(rgb_to_lab(np.array([255, 255, 255])), 1)
    array([100.,  -0.,   0.])
    """
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    matrix = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    # Written out instead of ``linear @ matrix.T``: BLAS may round differently from one
    # process to another, and a colour on a histogram bin's edge would then change name.
    xyz = (
        linear[..., 0:1] * matrix[:, 0]
        + linear[..., 1:2] * matrix[:, 1]
        + linear[..., 2:3] * matrix[:, 2]
    ) / np.array([0.95047, 1.0, 1.08883])
    delta = 6.0 / 29.0
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4.0 / 29.0)
    lightness = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1)


class ColourNamer:
    """Nearest-prototype colour naming with a confidence.

    >>> namer = ColourNamer(HAIR_PROTOTYPES)
    >>> namer.name((240, 220, 130))[0]
    'blonde hair'
    """

    def __init__(
        self, prototypes: dict[str, list[tuple[int, int, int]]], chroma_boost: float = 1.0
    ):
        self.chroma_boost = chroma_boost
        self.names = list(prototypes)
        rgb = [colour for name in self.names for colour in prototypes[name]]
        self._owner = np.repeat(
            np.arange(len(self.names)), [len(prototypes[n]) for n in self.names]
        )
        self._lab = rgb_to_lab(np.array(rgb))

    def probabilities(self, colours: np.ndarray) -> np.ndarray:
        """(n, 3) RGB -> (n, len(names)) probabilities (rows sum to 1)."""
        lab = rgb_to_lab(np.atleast_2d(colours))
        lab[:, 1:] *= self.chroma_boost
        distances = np.linalg.norm(lab[:, None, :] - self._lab[None, :, :], axis=-1)
        nearest = np.full((len(lab), len(self.names)), np.inf)
        # numpy's stubs do not accept a (slice, array) index for ufunc.at; numpy does.
        np.minimum.at(nearest, (slice(None), self._owner), distances)  # type: ignore[arg-type]
        logits = -nearest / TEMPERATURE
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def name(self, colour: tuple[int, int, int]) -> tuple[str, float]:
        """The most likely name of one RGB colour and its probability."""
        probs = self.probabilities(np.array([colour]))[0]
        best = int(np.argmax(probs))
        return self.names[best], float(probs[best])
