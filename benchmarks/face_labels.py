"""Face counts and colours against the labels made by eye (data/poster_faces.csv).

Used by benchmarks.bench_tagger and the face tests. Split: posters with an even MAL id were used
to tune the colour naming (the tuning half), posters with an odd MAL id only to report figures
(the held-out half); the face detector was fitted on none of them. data/poster_colours.csv
labels the other posters of the collection the same way (the detector was fitted on them: only
their colours are measured, never their faces).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from tagger.vision.faces import FaceAnalysis, colour_face

DATA = Path(__file__).resolve().parents[1] / "data"
LABELS = DATA / "poster_faces.csv"
COLOUR_LABELS = DATA / "poster_colours.csv"
BOX_LABELS = DATA / "poster_face_boxes.csv"
# A found face is the labelled box when they overlap this much (intersection over union).
SAME_BOX = 0.5

Rect = tuple[float, float, float, float]  # x, y, width, height in the poster's pixels


@dataclass(frozen=True)
class FaceLabel:
    mal_id: str
    faces: int
    clear_face: bool
    hair: str  # "blonde", ... or "unknown"
    eyes: str

    @property
    def held_out(self) -> bool:
        return int(self.mal_id) % 2 == 1


def read_labels(path: Path = LABELS) -> list[FaceLabel]:
    with path.open(newline="", encoding="utf-8") as stream:
        return [
            FaceLabel(
                mal_id=row["mal_id"],
                faces=int(row["faces"]),
                clear_face=row["clear_face"] == "1",
                hair=row["hair"],
                eyes=row["eyes"],
            )
            for row in csv.DictReader(stream)
        ]


@dataclass(frozen=True)
class BoxLabel:
    """What a person saw in one box found on a poster (data/poster_face_boxes.csv)."""

    mal_id: str
    box: Rect | None  # None on a "main_missing" row
    kind: str  # "main", "face", "not_face" or "main_missing"


def read_box_labels(path: Path = BOX_LABELS) -> list[BoxLabel]:
    def rect(row: dict[str, str]) -> Rect | None:
        if row["kind"] == "main_missing":
            return None
        return float(row["x"]), float(row["y"]), float(row["width"]), float(row["height"])

    with path.open(newline="", encoding="utf-8") as stream:
        return [
            BoxLabel(mal_id=row["mal_id"], box=rect(row), kind=row["kind"])
            for row in csv.DictReader(stream)
        ]


def overlap(a: Rect, b: Rect) -> float:
    """Intersection over union of two (x, y, width, height) boxes.

    >>> overlap((0, 0, 10, 10), (5, 0, 10, 10))
    0.3333333333333333
    """
    across = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    down = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = across * down
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def main_face_figures(results: dict[str, FaceAnalysis], boxes: list[BoxLabel]) -> dict[str, float]:
    """How often the main character's face is found, and chosen for the colours.

    - ``main_visible``: posters of ``results`` where a person saw the main character's face;
    - ``main_found``: share of those where a found face is the labelled main box;
    - ``main_chosen``: share where the face the colours are read from (``colour_face``) is the
      main box;
    - ``not_face_found``: share of the boxes labelled ``not_face`` that a found face still is.
    """
    main = {x.mal_id: x.box for x in boxes if x.kind in ("main", "main_missing")}
    visible = [m for m in main if m in results]

    def same(face_box: Rect, box: Rect | None) -> bool:
        return box is not None and overlap(face_box, box) >= SAME_BOX

    found = [any(same(f.box, main[m]) for f in results[m].faces) for m in visible]
    chosen = []
    for mal_id in visible:
        face = colour_face(results[mal_id].faces)
        chosen.append(face is not None and same(face.box, main[mal_id]))
    wrong = [x for x in boxes if x.kind == "not_face" and x.mal_id in results]
    kept = [any(same(f.box, x.box) for f in results[x.mal_id].faces) for x in wrong]
    return {
        "main_visible": len(visible),
        "main_found": _share(found),
        "main_chosen": _share(chosen),
        "not_face_found": _share(kept),
    }


def count_bucket(count: int) -> str:
    return {0: "no face", 1: "solo", 2: "two people"}.get(count, "group")


def stored_colour(found: FaceAnalysis, part: str) -> str | None:
    """The colour name stored for ``part`` ("hair" or "eyes"), without the part's word."""
    for name, _ in found.tags:
        if name.endswith(" " + part):
            return name.removesuffix(" " + part)
    return None


def evaluate(results: dict[str, FaceAnalysis], labels: list[FaceLabel]) -> dict[str, float]:
    """Recall, count and colour figures of face analyses keyed by MAL id.

    - ``clear_recall``: share of posters with a clear face on which at least one face is found;
    - ``face_recall``: faces found / faces labelled (each poster capped at its label);
    - ``count_accuracy``: the count tag (no face / solo / two people / group) is right;
    - ``false_face``: share of posters labelled with no face on which a face is found;
    - ``hair_accuracy`` / ``eyes_accuracy``: right among the colours stored for posters whose
      label knows the colour; ``*_coverage``: share of those posters that got a colour at all.
    """
    figures: dict[str, float] = {}
    labelled = [label for label in labels if label.mal_id in results]
    clear = [label for label in labelled if label.clear_face]
    figures["posters"] = len(labelled)
    figures["clear_recall"] = _share(results[x.mal_id].count > 0 for x in clear)
    with_faces = [label for label in labelled if label.faces]
    figures["face_recall"] = sum(min(results[x.mal_id].count, x.faces) for x in with_faces) / max(
        1, sum(x.faces for x in with_faces)
    )
    figures["count_accuracy"] = _share(
        count_bucket(results[x.mal_id].count) == count_bucket(x.faces) for x in labelled
    )
    figures["false_face"] = _share(results[x.mal_id].count > 0 for x in labelled if not x.faces)
    for part in ("hair", "eyes"):
        known = [x for x in labelled if getattr(x, part) != "unknown"]
        stored = [(x, stored_colour(results[x.mal_id], part)) for x in known]
        given = [(x, name) for x, name in stored if name is not None]
        figures[f"{part}_accuracy"] = _share(name == getattr(x, part) for x, name in given)
        figures[f"{part}_coverage"] = len(given) / max(1, len(known))
        figures[f"{part}_stored"] = len(given)
    return figures


def _share(flags) -> float:
    flags = list(flags)
    return sum(flags) / len(flags) if flags else float("nan")
