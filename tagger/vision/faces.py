"""Faces on a poster: how many characters, and the main character's hair and eye colours.

The faces come from :mod:`tagger.vision.face_detector` (read off the backbone's maps); here
they become tags the ImageNet backbone cannot give: how many characters (``solo``, ``two
people``, ``group``, ``no face``) and the colours of the main character (``blonde hair``,
``blue eyes``...), measured on the poster's pixels. A part's colour is measured and stored
as a tag only where a gate in ``MIN_NAME_PROBABILITY`` says its names are right often enough;
today none does (benchmarks measure them with ``measure_hair`` and ``measure_eyes``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from tagger.vision.colours import EYE_PROTOTYPES, HAIR_PROTOTYPES, ColourNamer, rgb_to_lab

MIN_TAG_CONFIDENCE = 0.3
# Colours are read only from a main character the detector is sure of, and a name less
# probable than its part's gate is not stored; a part without a gate (None) is neither
# measured nor stored. Neither part has one: against 303 posters labelled by eye, no gate made hair
# names 80% right (the 0.7 gate chosen on the tuning half stored 43 names, 42% right) nor eye
# names 70% right, mostly because the largest face is the main character's on 39% of the
# posters. Figures in docs/tagger.md ("The main character").
COLOUR_FACE_LIKELIHOOD = 0.8
MIN_NAME_PROBABILITY: dict[str, float | None] = {"hair": None, "eyes": None}
# A colour a face's skin colour could not be measured against: a light anime skin tone.
DEFAULT_SKIN = (250, 225, 210)

_HAIR = ColourNamer(HAIR_PROTOTYPES)
_EYES = ColourNamer(EYE_PROTOTYPES)

Box = tuple[int, int, int, int]  # x, y, width, height in the poster's pixels


@dataclass(frozen=True)
class Face:
    """One face; boxes are in the poster's pixels, colours measured on them (None: unknown)."""

    box: Box
    likelihood: float
    hair_rgb: tuple[int, int, int] | None = None
    eye_rgb: tuple[int, int, int] | None = None
    skin_rgb: tuple[int, int, int] | None = None
    # Where its left and right eyes are expected (x, y, width, height).
    eye_boxes: tuple[Box, ...] = ()


@dataclass(frozen=True)
class FaceAnalysis:
    """Faces found and the tags they give, best first."""

    faces: list[Face]
    tags: list[tuple[str, float]]

    @property
    def count(self) -> int:
        return len(self.faces)


def count_tag(faces: list[Face]) -> tuple[str, float]:
    """The character-count tag and its confidence (mean likelihood of the counted faces).

    ``no face`` gets a modest fixed confidence: the detector misses faces (drawn in profile,
    small, stylised), so "found none" is weak evidence.

    >>> count_tag([])
    ('no face', 0.5)
    """
    if not faces:
        return "no face", 0.5
    confidence = float(np.mean([face.likelihood for face in faces]))
    if len(faces) == 1:
        return "solo", confidence
    if len(faces) == 2:
        return "two people", confidence
    return "group", confidence


def _lab_pixels(pixels: np.ndarray) -> np.ndarray:
    return rgb_to_lab(pixels.reshape(-1, 3))


def _box_pixels(array: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Pixels of ``array`` (h, w, 3) inside ``box`` = (left, top, right, bottom), clipped."""
    height, width = array.shape[:2]
    left, top = max(0, int(box[0])), max(0, int(box[1]))
    right, bottom = min(width, int(np.ceil(box[2]))), min(height, int(np.ceil(box[3])))
    if right <= left or bottom <= top:
        return np.zeros((0, 3))
    return array[top:bottom, left:right].reshape(-1, 3)


def measure_skin(array: np.ndarray, face: Face) -> tuple[int, int, int]:
    """The skin colour of a face: the median of its cheeks and chin, under the eyes."""
    x, y, w, h = face.box
    pixels = _box_pixels(array, (x + 0.3 * w, y + 0.62 * h, x + 0.7 * w, y + 0.85 * h))
    if len(pixels) == 0:
        return face.skin_rgb or DEFAULT_SKIN
    red, green, blue = (int(v) for v in np.median(pixels, axis=0))
    return red, green, blue


def measure_hair(array: np.ndarray, face: Face) -> tuple[int, int, int] | None:
    """The hair colour above and beside a face box, measured on the poster's pixels.

    The band from a third of the face's height above its box to a fifth inside it holds the
    fringe and the top of the head; pixels near the face's skin colour are dropped, and the
    most common colour (a coarse Lab histogram's fullest bin) is the hair's. ``None`` when too
    few pixels are left (a face at the top edge).
    """
    x, y, w, h = face.box
    # The box (nvxs's, which the detector learned) starts at the eyebrows: the fringe fills its
    # top fifth, the head is above.
    pixels = _box_pixels(array, (x + 0.15 * w, y - 0.2 * h, x + 0.85 * w, y + 0.2 * h))
    if len(pixels) < 12:
        return None
    lab = _lab_pixels(pixels)
    skin = rgb_to_lab(np.array(face.skin_rgb or DEFAULT_SKIN, dtype=np.float64))
    keep = np.linalg.norm(lab - skin, axis=1) > 12.0
    if keep.sum() < 12:
        return None
    pixels, lab = pixels[keep], lab[keep]
    bins = np.floor(lab / np.array([12.0, 12.0, 12.0])).astype(np.int64)
    _, inverse, counts = np.unique(bins, axis=0, return_inverse=True, return_counts=True)
    fullest = inverse.ravel() == counts.argmax()
    red, green, blue = (int(v) for v in np.median(pixels[fullest], axis=0))
    return red, green, blue


def measure_eyes(array: np.ndarray, face: Face) -> tuple[int, int, int] | None:
    """The iris colour inside the face's eye boxes, measured on the poster's pixels.

    Averaging the whole eye box (white, lashes, skin) washes blue and violet irises into grey
    or black. Here white and skin pixels are dropped and the iris is the most
    colourful half of what is left (its median), or the darkest half when nothing is colourful
    (black or dark brown eyes).
    """
    if not face.eye_boxes:
        return None
    # The lower two thirds of each eye box: the iris, below the upper lashes.
    pixels = np.concatenate(
        [
            _box_pixels(array, (ex, ey + eh / 3, ex + ew, ey + eh))
            for ex, ey, ew, eh in face.eye_boxes
        ]
    )
    if len(pixels) < 6:
        return None
    lab = _lab_pixels(pixels)
    skin = rgb_to_lab(np.array(face.skin_rgb or DEFAULT_SKIN, dtype=np.float64))
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    keep = (np.linalg.norm(lab - skin, axis=1) > 15.0) & ~((lab[:, 0] > 80) & (chroma < 12))
    if keep.sum() < 4:
        return None
    pixels, lab, chroma = pixels[keep], lab[keep], chroma[keep]
    if np.percentile(chroma, 75) >= 12:
        chosen = chroma >= np.percentile(chroma, 67)
    else:
        chosen = lab[:, 0] <= np.median(lab[:, 0])
    red, green, blue = (int(v) for v in np.median(pixels[chosen], axis=0))
    return red, green, blue


def main_face(faces: list[Face]) -> Face | None:
    """The poster's main character: the largest face found (likelihood breaks ties)."""
    if not faces:
        return None
    return max(faces, key=lambda face: (face.box[2] * face.box[3], face.likelihood))


def colour_face(faces: list[Face]) -> Face | None:
    """The face colours are read from: the main face of those with likelihood >=
    ``COLOUR_FACE_LIKELIHOOD``."""
    return main_face([f for f in faces if f.likelihood >= COLOUR_FACE_LIKELIHOOD])


def colour_tags(
    faces: list[Face], gates: dict[str, float | None] = MIN_NAME_PROBABILITY
) -> dict[str, float]:
    """Hair and eye colour tags of the main (largest) face: likelihood x P(name).

    Only faces with likelihood >= ``COLOUR_FACE_LIKELIHOOD`` count, and a colour whose name is
    not clearly the best (P(name) under its part's gate) is not given at all, nor a colour of a
    part without a gate (the default: see ``MIN_NAME_PROBABILITY``).

    >>> face = Face((0, 0, 10, 10), 1.0, (245, 225, 140), (60, 100, 200), (250, 230, 220))
    >>> colour_tags([face])
    {}
    >>> sorted(colour_tags([face], gates={"hair": 0.7, "eyes": None}))
    ['blonde hair']
    """
    face = colour_face(faces)
    if face is None:
        return {}
    scores: dict[str, float] = {}
    for part, namer, colour in (("hair", _HAIR, face.hair_rgb), ("eyes", _EYES, face.eye_rgb)):
        gate = gates[part]
        if colour is None or gate is None:
            continue
        name, probability = namer.name(colour)
        if probability >= gate:
            scores[name] = face.likelihood * probability
    return scores


def _with_measured_colours(
    image: Image.Image, faces: list[Face], gates: dict[str, float | None]
) -> list[Face]:
    """The faces, the main character's with the colours of the parts that have a gate
    measured: only those can become tags, so no pixel is read for the others."""
    main = colour_face(faces)
    if main is None or all(gate is None for gate in gates.values()):
        return faces
    array = np.asarray(image.convert("RGB"))
    face = replace(main, skin_rgb=measure_skin(array, main))
    if gates["hair"] is not None:
        face = replace(face, hair_rgb=measure_hair(array, face))
    if gates["eyes"] is not None:
        face = replace(face, eye_rgb=measure_eyes(array, face))
    return [face if f is main else f for f in faces]


def analyse_faces(
    image: Image.Image,
    faces: list[Face],
    min_confidence: float = MIN_TAG_CONFIDENCE,
    gates: dict[str, float | None] = MIN_NAME_PROBABILITY,
) -> FaceAnalysis:
    """Measure the colours of the faces found on ``image`` (the parts ``gates`` can store)
    and turn them into tags with confidences, best first.

    >>> from tagger.vision.preprocess import load_poster
    >>> analyse_faces(load_poster("poster.jpg"), faces).tags  # doctest: +SKIP
    [('solo', 0.99)]
    """
    faces = _with_measured_colours(image, faces, gates)
    tags = dict([count_tag(faces)])
    tags.update(
        (name, score)
        for name, score in colour_tags(faces, gates).items()
        if score >= min_confidence
    )
    ranked = sorted(tags.items(), key=lambda item: -item[1])
    return FaceAnalysis(faces=faces, tags=[(name, round(score, 4)) for name, score in ranked])
