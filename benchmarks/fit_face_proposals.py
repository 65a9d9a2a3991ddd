"""Fit the face proposals (tagger/vision/face_proposals.npz) on the shared posters.

Teacher: where animeface finds faces (likelihood >= 0.5) on each poster upscaled 2x, the slow
full search. Student: a logistic regression on the backbone's stride-8 cells. The posters
labelled by eye in data/poster_faces.csv are left out of the fit, so the face figures measured
on them (benchmarks.bench_tagger) are on posters the proposals never saw.

    .venv/bin/python -m benchmarks.fit_face_proposals [--posters DIR] [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

from benchmarks.shared_data import data_path
from tagger.vision.backbone import EfficientNetLite0
from tagger.vision.faces import detect_faces
from tagger.vision.preprocess import load_poster, to_model_input
from tagger.vision.proposals import DEFAULT_PATH, FaceProposals, face_cells

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTERS = data_path("posters")
LABELS = ROOT / "data" / "poster_faces.csv"


def labelled_ids(path: Path = LABELS) -> set[str]:
    with path.open(newline="", encoding="utf-8") as stream:
        return {row["mal_id"] for row in csv.DictReader(stream)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posters", type=Path, default=DEFAULT_POSTERS)
    parser.add_argument("--teacher-threshold", type=float, default=0.5)
    parser.add_argument("--threshold", type=float, default=0.85)
    parser.add_argument("--grow", type=int, default=1)
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument(
        "--cache", type=Path, default=None, help="keep the teacher's cells in this .npz (refits)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    held_out = labelled_ids()
    with (args.posters / "index.csv").open(newline="", encoding="utf-8") as stream:
        rows = sorted(csv.DictReader(stream), key=lambda row: row["file"])
    rows = [row for row in rows if row["mal_id"] not in held_out]
    if args.cache is not None and args.cache.is_file():
        with np.load(args.cache) as cached:
            maps, targets = list(cached["maps"]), list(cached["targets"])
        rows = []
    else:
        maps, targets = [], []
    backbone = EfficientNetLite0()
    tick = time.perf_counter()
    for row in rows:
        image = load_poster(args.posters / row["file"])
        _, feature_map = backbone.embed_with_maps(to_model_input(image)[None])
        faces = detect_faces(image, threshold=args.teacher_threshold)
        maps.append(feature_map[0])
        targets.append(face_cells([face.box for face in faces], image.size, feature_map.shape[-1]))
    if args.cache is not None and rows:
        np.savez(args.cache, maps=np.stack(maps), targets=np.stack(targets))
    print(
        f"{len(maps)} posters (the {len(held_out)} labelled ones left out), "
        f"{int(sum(t.sum() for t in targets))} face cells; "
        f"teacher {time.perf_counter() - tick:.0f} s"
    )
    proposals = FaceProposals(threshold=args.threshold, grow=args.grow).fit(
        np.stack(maps), np.stack(targets), args.alpha
    )
    proposals.save(args.out)
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
