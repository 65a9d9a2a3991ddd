"""Fit the face detector (tagger/vision/face_detector.npz) on the shared posters.

Teacher: animeface (nvxs) run on each poster at 2x, 2x mirrored, 2x shifted by one pixel, 1.5x
and 2.5x; faces of all runs merged (the most likely of overlapping boxes kept). nvxs finds a
face only when one of its windows falls well on it, so the runs together find far more faces
than any one. Student: :class:`tagger.vision.face_detector.FaceDetector` on the backbone's
maps of each poster, mirrored and cropped (faces then appear larger and elsewhere). The
posters labelled by eye in data/poster_faces.csv are left out of the fit, so the face figures
measured on them (benchmarks.bench_tagger) are on posters the detector never saw.

    .venv/bin/python -m benchmarks.fit_face_detector [--posters DIR] [--cache teacher.json]

The teacher costs about 10 minutes on 2 cores for the 322 shared posters (``--cache`` keeps
its boxes for refits); the fit about 5.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from benchmarks.face_labels import overlap, read_labels
from benchmarks.shared_data import data_path
from tagger.vision.backbone import EfficientNetLite0
from tagger.vision.face_detector import DEFAULT_PATH, FaceDetector
from tagger.vision.preprocess import load_poster, to_model_input

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTERS = data_path("posters")
# (upscale, mirrored, shift in pixels of the upscaled poster)
TEACHER_RUNS = [(2.0, False, 0), (2.0, True, 0), (2.0, False, 1), (1.5, False, 0), (2.5, False, 0)]
TEACHER_LIKELIHOOD = 0.5
CROPS_PER_POSTER = 4


def teacher_faces(path: Path) -> list[dict]:
    """nvxs's faces on one poster over :data:`TEACHER_RUNS`, merged: [{box, p, eyes}]."""
    import animeface

    image = load_poster(path).convert("RGB")
    width, height = image.size
    found = []
    for scale, mirrored, shift in TEACHER_RUNS:
        source = ImageOps.mirror(image) if mirrored else image
        big = source.resize((round(width * scale), round(height * scale)), Image.Resampling.LANCZOS)
        if shift:
            canvas = Image.new("RGB", (big.width + shift, big.height + shift), (128, 128, 128))
            canvas.paste(big, (shift, shift))
            big = canvas

        def back(pos, scale=scale, mirrored=mirrored, shift=shift):
            x, y = (pos.x - shift) / scale, (pos.y - shift) / scale
            w, h = pos.width / scale, pos.height / scale
            return [width - x - w if mirrored else x, y, w, h]

        for face in animeface.detect(big):
            if face.likelihood >= TEACHER_LIKELIHOOD:
                eyes = [back(face.left_eye.pos), back(face.right_eye.pos)]
                found.append(
                    {
                        "box": back(face.face.pos),
                        "p": float(face.likelihood),
                        "eyes": eyes[::-1] if mirrored else eyes,
                    }
                )
    return merge(found)


def merge(found: list[dict], max_overlap: float = 0.3) -> list[dict]:
    """The most likely of each group of overlapping faces."""
    kept: list[dict] = []
    for face in sorted(found, key=lambda f: -f["p"]):
        if all(overlap(face["box"], k["box"]) <= max_overlap for k in kept):
            kept.append(face)
    return kept


def augmented(image: Image.Image, boxes: list, rng: random.Random):
    """The poster, mirrored, and :data:`CROPS_PER_POSTER` random crops (some mirrored), each
    with the boxes whose centre it keeps."""
    width, height = image.size
    yield image, boxes
    yield ImageOps.mirror(image), [[width - x - w, y, w, h] for x, y, w, h in boxes]
    for _ in range(CROPS_PER_POSTER):
        share = rng.uniform(0.55, 0.9)
        w, h = int(width * share), int(height * rng.uniform(share, 1.0))
        x0, y0 = rng.randint(0, width - w), rng.randint(0, height - h)
        crop = image.crop((x0, y0, x0 + w, y0 + h))
        kept = [
            [x - x0, y - y0, bw, bh]
            for x, y, bw, bh in boxes
            if 0 <= x + bw / 2 - x0 < w and 0 <= y + bh / 2 - y0 < h
        ]
        if rng.random() < 0.5:
            crop, kept = ImageOps.mirror(crop), [[w - x - bw, y, bw, bh] for x, y, bw, bh in kept]
        yield crop, kept


def mean_eye_boxes(teacher: dict[str, list[dict]]) -> np.ndarray:
    """Where nvxs puts the eyes, as fractions of the face box: (2, 4), left then right."""
    relative = [
        [((ex - x) / w, (ey - y) / h, ew / w, eh / h) for ex, ey, ew, eh in face["eyes"]]
        for faces in teacher.values()
        for face in faces
        for x, y, w, h in [face["box"]]
    ]
    return np.median(np.array(relative), axis=0).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posters", type=Path, default=DEFAULT_POSTERS)
    parser.add_argument("--cache", type=Path, default=None, help="teacher's boxes (.json)")
    parser.add_argument("--threshold", type=float, default=FaceDetector().threshold)
    parser.add_argument("--epochs", type=int, default=FaceDetector().epochs)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    labelled = {label.mal_id for label in read_labels()}
    with (args.posters / "index.csv").open(newline="", encoding="utf-8") as stream:
        rows = [r for r in csv.DictReader(stream) if r["mal_id"] not in labelled]
    files = sorted(row["file"] for row in rows)
    tick = time.perf_counter()
    if args.cache is not None and args.cache.is_file():
        teacher = json.loads(args.cache.read_text())
    else:
        with Pool(2) as pool:
            found = pool.map(teacher_faces, [args.posters / f for f in files], chunksize=4)
        teacher = dict(zip(files, found, strict=True))
        if args.cache is not None:
            args.cache.write_text(json.dumps(teacher))
    teacher = {f: merge(teacher[f]) for f in files}
    print(
        f"teacher: {sum(map(len, teacher.values()))} faces on {len(files)} posters "
        f"(the {len(labelled)} labelled ones left out), {time.perf_counter() - tick:.0f} s"
    )
    backbone = EfficientNetLite0(num_threads=1)
    rng = random.Random(0)
    maps: dict[int, list[np.ndarray]] = {}
    boxes, sizes = [], []
    for name in files:
        image = load_poster(args.posters / name).convert("RGB")
        for variant, kept in augmented(image, [f["box"] for f in teacher[name]], rng):
            _, found = backbone.embed_with_maps(to_model_input(variant)[None])
            for side, array in found.items():
                maps.setdefault(side, []).append(array[0])
            boxes.append(kept)
            sizes.append(variant.size)
    tick = time.perf_counter()
    detector = FaceDetector(threshold=args.threshold, epochs=args.epochs).fit(
        {side: np.stack(arrays) for side, arrays in maps.items()},
        boxes,
        sizes,
        eye_boxes=mean_eye_boxes(teacher),
    )
    print(f"fitted on {len(boxes)} posters and variants in {time.perf_counter() - tick:.0f} s")
    detector.save(args.out)
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
