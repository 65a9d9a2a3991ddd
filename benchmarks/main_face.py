"""Where the main character's colours are lost: the face, its choice, or the naming.

Reads the boxes labelled by eye (data/poster_face_boxes.csv) on the 303 labelled posters and
prints, for the task path's faces:

1. how often the main character's face is found, and how often the face the colours are read
   from (the largest sure face) is it;
2. a check of each found box with animeface (nvxs) on a crop around it: how often it confirms
   real faces, main faces and boxes that are not faces, and its CPU cost per box;
3. a main-character chooser learned on the boxes (likelihood, size, rank, place, the nvxs
   check): how often its choice is the main face, out of fold (5 folds grouped by poster);
4. the colour naming on the labelled main face itself (hair over the eyebrows; eyes at the
   positions nvxs measures), against the colours labelled by eye, with the prototypes and with
   a namer fitted on those faces (benchmarks.fit_colour_model's colours and basis; 5 x 5-fold
   cross-validation, by gate on the name's probability);
5. the hair names gates on the name's probability (with and without the nvxs check) would
   store, read from the face the tagger reads colours from, and how many are right.

    .venv/bin/python -m benchmarks.main_face [--posters DIR]

docs/tagger.md ("The main character") records a run.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold

from benchmarks.bench_tagger import load
from benchmarks.face_labels import (
    COLOUR_LABELS,
    SAME_BOX,
    main_face_figures,
    overlap,
    read_box_labels,
    read_labels,
)
from benchmarks.fit_colour_model import basis, region_colours
from benchmarks.shared_data import data_path
from tagger.vision import runtime
from tagger.vision.analysis import PosterAnalysis, analyse_batch
from tagger.vision.colours import EYE_PROTOTYPES, HAIR_PROTOTYPES, ColourNamer
from tagger.vision.faces import (
    COLOUR_FACE_LIKELIHOOD,
    Face,
    FaceAnalysis,
    colour_face,
    measure_eyes,
    measure_hair,
    measure_skin,
)
from tagger.vision.preprocess import load_poster

DEFAULT_POSTERS = data_path("posters")
CHECK_FACE_SIZE = 80  # nvxs's windows find faces of about this many pixels
CHECK_MARGIN = 0.6  # of the box's size, on each side of the crop


def nvxs_check(image: Image.Image, face: Face) -> tuple[float, tuple | None]:
    """animeface's likelihood for a face on a crop around ``face`` (0: none), and its eyes."""
    import animeface

    x, y, w, h = face.box
    left, top = max(0, int(x - CHECK_MARGIN * w)), max(0, int(y - CHECK_MARGIN * h))
    right = min(image.width, int(np.ceil(x + (1 + CHECK_MARGIN) * w)))
    bottom = min(image.height, int(np.ceil(y + (1 + CHECK_MARGIN) * h)))
    scale = CHECK_FACE_SIZE / max(w, 1)
    crop = image.crop((left, top, right, bottom))
    crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))))
    best, eyes = 0.0, None
    for found in animeface.detect(crop):
        pos = found.face.pos
        box = (pos.x / scale + left, pos.y / scale + top, pos.width / scale, pos.height / scale)
        if overlap(box, face.box) > SAME_BOX / 2 and found.likelihood > best:
            best = float(found.likelihood)
            eyes = tuple(
                (
                    round(e.pos.x / scale + left),
                    round(e.pos.y / scale + top),
                    max(1, round(e.pos.width / scale)),
                    max(1, round(e.pos.height / scale)),
                )
                for e in (found.left_eye, found.right_eye)
            )
    return best, eyes


def box_kinds(boxes, mal_id: str, faces: list[Face]) -> list[str]:
    """The labelled kind of each found face ("none" when no labelled box matches)."""
    kinds = []
    for face in faces:
        same = [x for x in boxes.get(mal_id, []) if overlap(face.box, x.box) >= SAME_BOX]
        kinds.append(max(same, key=lambda x: overlap(face.box, x.box)).kind if same else "none")
    return kinds


def chooser_features(faces: list[Face], checks: list[float], size: tuple[int, int]):
    areas = np.array([f.box[2] * f.box[3] for f in faces], dtype=float)
    rank = (-areas).argsort().argsort()
    rows = []
    for face, check, area, order in zip(faces, checks, areas, rank, strict=True):
        x, y, w, h = face.box
        rows.append(
            [
                face.likelihood,
                check,
                check > 0,
                np.log(area / areas.max()),
                np.sqrt(area / (size[0] * size[1])),
                order,
                abs((x + w / 2) / size[0] - 0.5),
                (y + h / 2) / size[1],
                len(faces),
            ]
        )
    return rows


def fitted_naming(images, labels, mains, part: str, c: float = 3.0, seeds: int = 5) -> str:
    """Out-of-fold precision of a namer fitted on the labelled main faces' fullest colour."""
    colours, names = [], []
    for x in mains:
        name = getattr(labels[x.mal_id], part)
        box = tuple(round(v) for v in x.box)
        found = region_colours(np.asarray(images[x.mal_id]), Face(box, 1.0), part)
        if name != "unknown" and found:
            colours.append(found[0][0])
            names.append(name)
    X, y = basis(np.array(colours)), np.array(names)
    right, probability = [], []
    for seed in range(seeds):
        for fit, test in KFold(5, shuffle=True, random_state=seed).split(X):
            model = LogisticRegression(C=c, max_iter=5000).fit(X[fit], y[fit])
            p = model.predict_proba(X[test])
            right += list(model.classes_[p.argmax(1)] == y[test])
            probability += list(p.max(1))
    right_, probability_ = np.array(right), np.array(probability)
    line = f"{part}, fitted namer: {right_.mean():.2f} of {len(y)} right"
    for gate in (0.5, 0.6, 0.7, 0.8):
        kept = probability_ >= gate
        if kept.any():
            line += f"; P >= {gate}: {right_[kept].mean():.2f} of {kept.sum() / seeds:.0f}"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posters", type=Path, default=DEFAULT_POSTERS)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    runtime.configure(concurrency=1)
    labels = {x.mal_id: x for x in read_labels() + read_labels(COLOUR_LABELS)}
    boxes: dict[str, list] = {}
    for x in read_box_labels():
        if x.box is not None:
            boxes.setdefault(x.mal_id, []).append(x)
    ids = sorted(labels)
    print(f"== {len(ids)} labelled posters; {load()}")
    results = analyse_batch([args.posters / "images" / f"{m}.jpg" for m in ids])
    found = {}
    for mal_id, result in zip(ids, results, strict=True):
        assert isinstance(result, PosterAnalysis)
        found[mal_id] = FaceAnalysis(faces=result.faces, tags=result.face_tags)
    figures = main_face_figures(found, read_box_labels())
    print(
        f"main character's face seen on {figures['main_visible']:.0f} posters: found on "
        f"{figures['main_found']:.2f}, the largest sure face on {figures['main_chosen']:.2f}"
    )

    images = {m: load_poster(args.posters / "images" / f"{m}.jpg").convert("RGB") for m in ids}
    tick, checked = time.process_time(), 0
    checks, nvxs_eyes, kinds = {}, {}, {}
    for mal_id in ids:
        faces = found[mal_id].faces
        measured = [nvxs_check(images[mal_id], face) for face in faces]
        checks[mal_id] = [p for p, _ in measured]
        nvxs_eyes[mal_id] = [eyes for _, eyes in measured]
        kinds[mal_id] = box_kinds(boxes, mal_id, faces)
        checked += len(faces)
    cpu = (time.process_time() - tick) / max(1, checked) * 1000
    print(f"\n== nvxs check on a crop around each of {checked} found faces: {cpu:.1f} ms CPU/box")
    for kind in ("main", "face", "not_face"):
        passed = [
            p >= 0.5 for m in ids for p, k in zip(checks[m], kinds[m], strict=True) if k == kind
        ]
        print(f"  {kind:<9} {len(passed):>4} boxes, confirmed {np.mean(passed):.2f}")
    dominant: Counter[str] = Counter()
    for mal_id in ids:
        faces = found[mal_id].faces
        sure = [
            i
            for i, face in enumerate(faces)
            if face.likelihood >= COLOUR_FACE_LIKELIHOOD and checks[mal_id][i] >= 0.5
        ]
        if not sure:
            continue
        area = [face.box[2] * face.box[3] for face in faces]
        best = max(sure, key=lambda i: area[i])
        if all(area[best] >= 2 * area[j] for j in range(len(faces)) if j != best):
            dominant[kinds[mal_id][best]] += 1
    print(f"  the largest sure face nvxs confirms, twice any other's area: {dict(dominant)}")

    rows, is_main, groups = [], [], []
    for mal_id in ids:
        faces = found[mal_id].faces
        if faces:
            rows += chooser_features(faces, checks[mal_id], images[mal_id].size)
            is_main += [k == "main" for k in kinds[mal_id]]
            groups += [mal_id] * len(faces)
    X, y, g = np.array(rows, dtype=float), np.array(is_main), np.array(groups)
    score = np.zeros(len(y))
    for fit, test in GroupKFold(5).split(X, y, g):
        model = LogisticRegression(max_iter=2000).fit(X[fit], y[fit])
        score[test] = model.predict_proba(X[test])[:, 1]
    best = [(score[g == m].max(), y[g == m][score[g == m].argmax()]) for m in np.unique(g)]
    chosen = np.array(best, dtype=float)
    print(f"\n== learned chooser, out of fold, {len(chosen)} posters with a face")
    print(f"  its choice is the main face on {chosen[:, 1].mean():.2f}")
    for gate in (0.4, 0.5, 0.6):
        kept = chosen[:, 0] >= gate
        if kept.any():
            print(f"  P(main) >= {gate}: {kept.sum()} posters, {chosen[kept, 1].mean():.2f} right")

    print("\n== colour naming on the labelled main face")
    hair_namer, eye_namer = ColourNamer(HAIR_PROTOTYPES), ColourNamer(EYE_PROTOTYPES)
    hair, eyes = [], []
    for mal_id in ids:
        label = labels[mal_id]
        for face, kind, eye_boxes in zip(
            found[mal_id].faces, kinds[mal_id], nvxs_eyes[mal_id], strict=True
        ):
            if kind != "main":
                continue
            array = np.asarray(images[mal_id])
            face = replace(face, skin_rgb=measure_skin(array, face))
            colour = measure_hair(array, face)
            if label.hair != "unknown" and colour is not None:
                hair.append(hair_namer.name(colour)[0] == f"{label.hair} hair")
            if label.eyes != "unknown" and eye_boxes is not None:
                colour = measure_eyes(array, replace(face, eye_boxes=eye_boxes))
                if colour is not None:
                    eyes.append(eye_namer.name(colour)[0] == f"{label.eyes} eyes")
    print(f"  hair named right on {np.mean(hair):.2f} of {len(hair)}")
    print(f"  eyes (at nvxs's eye positions) named right on {np.mean(eyes):.2f} of {len(eyes)}")
    mains = [x for x in read_box_labels() if x.kind == "main" and x.box is not None]
    for part in ("hair", "eyes"):
        print(f"  {fitted_naming(images, labels, mains, part)}")

    print("\n== hair names a gate would store (the largest sure face, prototypes)")
    for check in (None, 0.5, 0.9):
        named = []  # (right, P(name)) of the hair of the face the colours are read from
        for mal_id in ids:
            if labels[mal_id].hair == "unknown":
                continue
            checked = zip(found[mal_id].faces, checks[mal_id], strict=True)
            face = colour_face([f for f, p in checked if check is None or p >= check])
            if face is None:
                continue
            array = np.asarray(images[mal_id])
            colour = measure_hair(array, replace(face, skin_rgb=measure_skin(array, face)))
            if colour is not None:
                name, probability = hair_namer.name(colour)
                named.append((name == f"{labels[mal_id].hair} hair", probability))
        checked_by = "no check" if check is None else f"nvxs check >= {check}"
        for gate in (0.5, 0.6, 0.7):
            stored = [right for right, probability in named if probability >= gate]
            print(
                f"  {checked_by:<17} P(name) >= {gate}: {len(stored)} stored, "
                f"{np.mean(stored):.2f} right"
            )
    print(load())


if __name__ == "__main__":
    main()
