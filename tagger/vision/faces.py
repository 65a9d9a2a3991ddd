"""Anime face analysis with ``animeface`` (nagadomi's nvxs detector, MIT).

Faces give tags the ImageNet backbone cannot: how many characters (``solo``, ``two people``,
``group``, ``no face``) and their hair and eye colours (``blonde hair``, ``blue eyes``...).

animeface needs Pillow < 12: with Pillow 12+ it silently finds no face at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from tagger.vision.colours import EYE_PROTOTYPES, HAIR_PROTOTYPES, ColourNamer, rgb_to_lab

# nvxs misses most faces on ~214x318 posters at their own size: on 65 of the shared posters it
# found a face (likelihood >= 0.9) on 17 at 1x, 36 at 2x and 38 at 3x, at 1x / 3.6x / 4.2x the
# time. So small images are brought to about twice the posters' size.
UPSCALE_MIN_SIDE = 448
MAX_UPSCALE = 3.0
# Detection cost grows with pixels; big uploads are shrunk first.
MAX_SIDE = 1280
FACE_THRESHOLD = 0.5
MIN_TAG_CONFIDENCE = 0.3
# Colours are read only from faces nvxs is sure of (weaker ones are often not faces at all),
# and a name less probable than this is not given: measured against the labels made by eye
# (docs/tagger.md), hair names are right about half the time when given, eye names far less,
# so eye colours need a much clearer name.
COLOUR_FACE_LIKELIHOOD = 0.9
MIN_NAME_PROBABILITY = {"hair": 0.5, "eyes": 0.75}

_HAIR = ColourNamer(HAIR_PROTOTYPES)
# animeface averages the whole eye box (white, lashes, pupil): the hue is right but washed out,
# so eye colours are named after doubling their chroma (a*, b*).
_EYES = ColourNamer(EYE_PROTOTYPES)


@dataclass(frozen=True)
class Face:
    """One detected face; the box is in the original image's pixels."""

    box: tuple[int, int, int, int]  # x, y, width, height
    likelihood: float
    hair_rgb: tuple[int, int, int]
    eye_rgb: tuple[int, int, int]
    skin_rgb: tuple[int, int, int]
    # Left and right eye boxes (x, y, width, height) in the image's pixels, when known.
    eye_boxes: tuple[tuple[int, int, int, int], ...] = ()


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


def detect_faces(
    image: Image.Image,
    threshold: float = FACE_THRESHOLD,
    mask: np.ndarray | None = None,
) -> list[Face]:
    """Anime faces in an RGB image with likelihood >= ``threshold``, most likely first.

    Small images are upscaled (nvxs's smallest window is 42.6 pixels, the posters' faces are
    often 20 to 40) and boxes mapped back. With a ``mask`` (from :class:`FaceProposals`, same
    size as the image) everything outside it is painted flat first: nvxs's edge test then
    rejects those windows at once, while windows inside keep exactly the content and position
    they have in a full search (cropping would shift nvxs's window grid and lose faces).

    >>> from tagger.vision.preprocess import load_poster
    >>> len(detect_faces(load_poster("poster.jpg")))  # doctest: +SKIP
    2
    """
    import animeface  # C extension: imported on use, not with the package.

    rgb = image.convert("RGB")
    scale = _detection_scale(*rgb.size)  # of the whole poster, whatever is searched
    if mask is not None:
        if not mask.any():
            return []
        pixels = np.array(rgb)
        pixels[~mask] = pixels.reshape(-1, 3).mean(axis=0).astype(np.uint8)
        # Past the mask's last row and column there is nothing to search; cutting there keeps
        # the origin, so nvxs's windows stay where a full search puts them.
        bottom = int(np.flatnonzero(mask.any(axis=1))[-1]) + 1
        right = int(np.flatnonzero(mask.any(axis=0))[-1]) + 1
        rgb = Image.fromarray(pixels[:bottom, :right])
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
                eye_boxes=tuple(
                    tuple(round(v / scale) for v in (eye.x, eye.y, eye.width, eye.height))
                    for eye in (found.left_eye.pos, found.right_eye.pos)
                ),
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
    """The skin colour of a face: the median of its cheeks and chin, under the eyes.

    animeface's own skin colour comes from a k-means with a random start, so it changes from
    one call to the next; this one does not.
    """
    x, y, w, h = face.box
    pixels = _box_pixels(array, (x + 0.3 * w, y + 0.62 * h, x + 0.7 * w, y + 0.85 * h))
    if len(pixels) == 0:
        return face.skin_rgb
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
    # nvxs's box starts at the eyebrows: the fringe fills its top fifth, the head is above.
    pixels = _box_pixels(array, (x + 0.15 * w, y - 0.2 * h, x + 0.85 * w, y + 0.2 * h))
    if len(pixels) < 12:
        return None
    lab = _lab_pixels(pixels)
    skin = rgb_to_lab(np.array(face.skin_rgb, dtype=np.float64))
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

    animeface averages the whole eye box (white, lashes, skin), which washes blue and violet
    irises into grey or black. Here white and skin pixels are dropped and the iris is the most
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
    skin = rgb_to_lab(np.array(face.skin_rgb, dtype=np.float64))
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


def colour_tags(faces: list[Face]) -> dict[str, float]:
    """Hair and eye colour tags of the main (largest) face: likelihood x P(name).

    Only faces with likelihood >= ``COLOUR_FACE_LIKELIHOOD`` count, and a colour whose name is
    not clearly the best (P(name) under ``MIN_NAME_PROBABILITY``) is not given at all.

    >>> face = Face((0, 0, 10, 10), 1.0, (245, 225, 140), (60, 100, 200), (250, 230, 220))
    >>> sorted(colour_tags([face]))
    ['blonde hair', 'blue eyes']
    """
    face = main_face([f for f in faces if f.likelihood >= COLOUR_FACE_LIKELIHOOD])
    if face is None:
        return {}
    scores: dict[str, float] = {}
    for part, namer, colour in (("hair", _HAIR, face.hair_rgb), ("eyes", _EYES, face.eye_rgb)):
        name, probability = namer.name(colour)
        if probability >= MIN_NAME_PROBABILITY[part]:
            scores[name] = face.likelihood * probability
    return scores


def _with_measured_colours(image: Image.Image, faces: list[Face]) -> list[Face]:
    array = np.asarray(image.convert("RGB"))
    measured = []
    for face in faces:
        face = replace(face, skin_rgb=measure_skin(array, face))
        hair = measure_hair(array, face)
        eyes = measure_eyes(array, face)
        measured.append(replace(face, hair_rgb=hair or face.hair_rgb, eye_rgb=eyes or face.eye_rgb))
    return measured


def analyse_faces(
    image: Image.Image,
    threshold: float = FACE_THRESHOLD,
    min_confidence: float = MIN_TAG_CONFIDENCE,
    mask: np.ndarray | None = None,
) -> FaceAnalysis:
    """Detect faces and turn them into tags with confidences, best first.

    >>> from tagger.vision.preprocess import load_poster
    >>> analyse_faces(load_poster("poster.jpg")).tags  # doctest: +SKIP
    [('solo', 0.99), ('blonde hair', 0.71), ('blue eyes', 0.55)]
    """
    faces = _with_measured_colours(image, detect_faces(image, threshold, mask))
    tags = dict([count_tag(faces)])
    tags.update(
        (name, score) for name, score in colour_tags(faces).items() if score >= min_confidence
    )
    ranked = sorted(tags.items(), key=lambda item: -item[1])
    return FaceAnalysis(faces=faces, tags=[(name, round(score, 4)) for name, score in ranked])
