"""Anime face analysis with ``animeface`` (nagadomi's nvxs detector, MIT).

Faces give tags the ImageNet backbone cannot: how many characters (``solo``, ``two people``,
``group``, ``no face``) and their hair and eye colours (``blonde hair``, ``blue eyes``...).

animeface needs Pillow < 12: with Pillow 12+ it silently finds no face at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from tagger.vision.colours import EYE_PROTOTYPES, HAIR_PROTOTYPES, ColourNamer

# nvxs misses most faces on ~214x318 posters at their own size: on 65 of the shared posters it
# found a face (likelihood >= 0.9) on 17 at 1x, 36 at 2x and 38 at 3x, at 1x / 3.6x / 4.2x the
# time. So small images are brought to about twice the posters' size.
UPSCALE_MIN_SIDE = 448
MAX_UPSCALE = 3.0
# Detection cost grows with pixels; big uploads are shrunk first.
MAX_SIDE = 1280
FACE_THRESHOLD = 0.9
MIN_TAG_CONFIDENCE = 0.3

_HAIR = ColourNamer(HAIR_PROTOTYPES)
# animeface averages the whole eye box (white, lashes, pupil): the hue is right but washed out,
# so eye colours are named after doubling their chroma (a*, b*).
_EYES = ColourNamer(EYE_PROTOTYPES, chroma_boost=2.0)


@dataclass(frozen=True)
class Face:
    """One detected face; the box is in the original image's pixels."""

    box: tuple[int, int, int, int]  # x, y, width, height
    likelihood: float
    hair_rgb: tuple[int, int, int]
    eye_rgb: tuple[int, int, int]
    skin_rgb: tuple[int, int, int]


@dataclass(frozen=True)
class FaceAnalysis:
    """Faces kept (likelihood >= threshold) and the tags they give, best first."""

    faces: list[Face]
    tags: list[tuple[str, float]]

    @property
    def count(self) -> int:
        return len(self.faces)


def _detection_scale(width: int, height: int) -> float:
    short, long = min(width, height), max(width, height)
    if short < UPSCALE_MIN_SIDE:
        return min(MAX_UPSCALE, UPSCALE_MIN_SIDE / short)
    if long > MAX_SIDE:
        return MAX_SIDE / long
    return 1.0


def detect_faces(image: Image.Image, threshold: float = FACE_THRESHOLD) -> list[Face]:
    """Anime faces in an RGB image with likelihood >= ``threshold``, most likely first.

    Small images are upscaled before detection and boxes mapped back.

    >>> from tagger.vision.preprocess import load_poster
    >>> len(detect_faces(load_poster("poster.jpg")))  # doctest: +SKIP
    2
    """
    import animeface  # C extension: imported on use, not with the package.

    rgb = image.convert("RGB")
    scale = _detection_scale(*rgb.size)
    if scale != 1.0:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    faces = []
    for found in animeface.detect(rgb):
        if found.likelihood < threshold:
            continue
        box = found.face.pos
        left, right = found.left_eye.color, found.right_eye.color
        faces.append(
            Face(
                box=tuple(round(v / scale) for v in (box.x, box.y, box.width, box.height)),
                likelihood=float(found.likelihood),
                hair_rgb=(found.hair.color.r, found.hair.color.g, found.hair.color.b),
                eye_rgb=(
                    (left.r + right.r) // 2,
                    (left.g + right.g) // 2,
                    (left.b + right.b) // 2,
                ),
                skin_rgb=(found.skin.color.r, found.skin.color.g, found.skin.color.b),
            )
        )
    faces.sort(key=lambda face: -face.likelihood)
    return faces


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


def colour_tags(faces: list[Face]) -> dict[str, float]:
    """Hair and eye colour tags: for each name, the best over faces of likelihood x P(name).

    >>> face = Face((0, 0, 10, 10), 1.0, (245, 225, 140), (60, 100, 200), (250, 230, 220))
    >>> sorted(colour_tags([face]))
    ['blonde hair', 'blue eyes']
    """
    if not faces:
        return {}
    likelihood = np.array([face.likelihood for face in faces])[:, None]
    scores: dict[str, float] = {}
    for namer, colours in (
        (_HAIR, np.array([face.hair_rgb for face in faces])),
        (_EYES, np.array([face.eye_rgb for face in faces])),
    ):
        probs = namer.probabilities(colours) * likelihood
        best = probs.argmax(axis=1)
        # Only each face's most likely name counts: a face has one hair colour.
        for row, column in enumerate(best):
            name = namer.names[column]
            scores[name] = max(scores.get(name, 0.0), float(probs[row, column]))
    return scores


def analyse_faces(
    image: Image.Image,
    threshold: float = FACE_THRESHOLD,
    min_confidence: float = MIN_TAG_CONFIDENCE,
) -> FaceAnalysis:
    """Detect faces and turn them into tags with confidences, best first.

    >>> from tagger.vision.preprocess import load_poster
    >>> analyse_faces(load_poster("poster.jpg")).tags  # doctest: +SKIP
    [('solo', 0.99), ('blonde hair', 0.71), ('blue eyes', 0.55)]
    """
    faces = detect_faces(image, threshold)
    tags = dict([count_tag(faces)])
    tags.update(
        (name, score) for name, score in colour_tags(faces).items() if score >= min_confidence
    )
    ranked = sorted(tags.items(), key=lambda item: -item[1])
    return FaceAnalysis(faces=faces, tags=[(name, round(score, 4)) for name, score in ranked])
