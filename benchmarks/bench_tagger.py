"""Benchmark the poster tagger on the real posters in ../shared/data/posters.

Prints, from one process on this machine:
1. speed: the task path (``analyse_batch`` on poster bytes, faces and tag head included, what
   ``tag_works`` runs) against the bare backbone forward pass on the same posters, in the same
   run, their ratio, and memory;
2. faces against the labels made by eye (data/poster_faces.csv): recall on posters with a clear
   face, count tags, hair and eye colour accuracy of the task path, on the held-out half (odd
   MAL ids) and the tuning half; colours only on the other posters (data/poster_colours.csv:
   the detector was fitted on them, so their face figures would flatter it); how often the
   main character's face is found and chosen (data/poster_face_boxes.csv);
3. genres from the tag head: 5-fold cross-validation grouped by MAL id, per-genre precision and
   recall, tags per poster against the truth, for F1 and precision thresholds.

Run from the repository root:
    .venv/bin/python -m benchmarks.bench_tagger [--posters DIR] [--skip-quality]
docs/tagger.md records a run.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.face_labels import (
    COLOUR_LABELS,
    evaluate,
    main_face_figures,
    read_box_labels,
    read_labels,
)
from benchmarks.memory import memory_mb
from benchmarks.shared_data import data_path
from tagger.vision import runtime
from tagger.vision.analysis import PosterAnalysis, analyse_batch
from tagger.vision.backbone import EfficientNetLite0
from tagger.vision.face_detector import default_detector
from tagger.vision.faces import FaceAnalysis
from tagger.vision.head import TagHead
from tagger.vision.metrics import precision_recall_f1, roc_auc
from tagger.vision.preprocess import load_poster, to_model_input

DEFAULT_POSTERS = data_path("posters")


def read_index(posters: Path) -> tuple[list[Path], list[str], list[list[str]]]:
    with (posters / "index.csv").open(newline="", encoding="utf-8") as stream:
        rows = sorted(csv.DictReader(stream), key=lambda row: row["file"])
    paths = [posters / row["file"] for row in rows]
    groups = [row["mal_id"] for row in rows]
    genres = [[g for g in row["genres_mugenlist"].split("|") if g] for row in rows]
    return paths, groups, genres


def group_folds(groups: list[str], k: int, seed: int) -> np.ndarray:
    """Fold number per row; rows sharing a group (MAL id) share a fold."""
    unique = np.array(sorted(set(groups)))
    rng = np.random.default_rng(seed)
    fold_of_group = dict(zip(rng.permutation(unique), np.arange(len(unique)) % k, strict=True))
    return np.array([fold_of_group[g] for g in groups])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def bare_backbone(inputs: np.ndarray, batch_size: int, threads: int) -> float:
    """Posters/s of the backbone forward alone (inputs already decoded and resized)."""
    backbone = EfficientNetLite0(batch_size=batch_size, num_threads=threads)
    backbone.embed(inputs[:2])  # load weights, warm up
    tick = time.perf_counter()
    backbone.embed(inputs)
    return len(inputs) / (time.perf_counter() - tick)


def task_path(sources: list[bytes], head: TagHead | None, faces: bool) -> float:
    """Posters/s of analyse_batch on poster bytes, as tag_works calls it."""
    analyse_batch(sources[:2], head, faces=faces)  # warm up (weights)
    tick = time.perf_counter()
    results = analyse_batch(sources, head, faces=faces)
    seconds = time.perf_counter() - tick
    assert all(isinstance(r, PosterAnalysis) for r in results)
    return len(sources) / seconds


def speed(paths: list[Path], head: TagHead | None) -> None:
    print(f"\n== speed: {len(paths)} posters, {runtime.available_cores()} cores; {load()}")
    threads = runtime.threads()
    sources = [p.read_bytes() for p in paths]
    inputs = np.stack([to_model_input(load_poster(s)) for s in sources])
    bare = {
        (32, threads): bare_backbone(inputs, 32, threads),
        (1, 1): bare_backbone(inputs, 1, 1),
        (1, threads): bare_backbone(inputs, 1, threads),
    }
    for (batch, count), rate in bare.items():
        print(f"bare backbone forward, batches of {batch}, {count} thread(s): {rate:.1f} posters/s")
    fastest = max(bare.values())
    with_faces = task_path(sources, head, faces=True)
    current, peak = memory_mb("VmRSS"), memory_mb("VmHWM")
    print(
        f"task path with faces (analyse_batch, {threads} thread budget, torch on "
        f"{runtime.torch_threads()}): {with_faces:.1f} posters/s; "
        f"time ratio to the fastest bare backbone: {fastest / with_faces:.2f}x"
    )
    print(f"memory: this process {current:.0f} MB now, {peak:.0f} MB peak")
    without = task_path(sources, head, faces=False)
    print(f"task path without faces: {without:.1f} posters/s; {load()}")


def found_faces(posters: Path, labels) -> tuple[dict[str, FaceAnalysis], float]:
    """The task path's faces on the labelled posters, and its CPU ms per poster."""
    sources = [(posters / "images" / f"{x.mal_id}.jpg").read_bytes() for x in labels]
    analyse_batch(sources[:2])  # warm up (weights)
    tick = time.process_time()
    results = analyse_batch(sources)
    cpu = (time.process_time() - tick) / len(sources) * 1000
    found = {}
    for label, result in zip(labels, results, strict=True):
        assert isinstance(result, PosterAnalysis)
        found[label.mal_id] = FaceAnalysis(faces=result.faces, tags=result.face_tags)
    return found, cpu


def faces_quality(posters: Path) -> None:
    labels = read_labels()
    boxes = read_box_labels()
    print(f"\n== faces against {len(labels)} posters labelled by eye; {load()}")
    found, cpu = found_faces(posters, labels)
    for half in ("held-out", "tuning"):
        part = [x for x in labels if x.held_out == (half == "held-out")]
        f = evaluate(found, part)
        main = main_face_figures({x.mal_id: found[x.mal_id] for x in part}, boxes)
        print(
            f"[{half} {len(part)}] task path {cpu:.0f} ms CPU/poster; clear-face recall "
            f"{f['clear_recall']:.2f}, face recall {f['face_recall']:.2f}, count tag "
            f"{f['count_accuracy']:.2f}, false face {f['false_face']:.2f}; "
            f"{colours_line(f)}"
        )
        print(f"  {main_line(main)}")
    others = read_labels(COLOUR_LABELS)
    found = found_faces(posters, others)[0]
    f = evaluate(found, others)
    print(f"[colours only, {len(others)} other posters] {colours_line(f)}")
    # The detector was fitted on these posters: their figures flatter it.
    print(f"  (posters the detector was fitted on) {main_line(main_face_figures(found, boxes))}")
    threshold_sweep(posters, labels)


def threshold_sweep(posters: Path, labels) -> None:
    """Face figures of each half at other detector thresholds (the tuning half chooses)."""
    detector = default_detector()
    if detector is None:
        return
    shipped, lowest = detector.threshold, 0.05
    detector.threshold = lowest
    try:
        found = found_faces(posters, labels)[0]
    finally:
        detector.threshold = shipped
    print(f"detector thresholds (shipped {shipped}): held-out | tuning")
    for threshold in (0.05, 0.1, 0.15, 0.2, 0.3):
        kept = {
            mal_id: FaceAnalysis([f for f in x.faces if f.likelihood >= threshold], [])
            for mal_id, x in found.items()
        }
        line = []
        for held_out in (True, False):
            f = evaluate(kept, [x for x in labels if x.held_out == held_out])
            line.append(
                f"clear-face recall {f['clear_recall']:.2f}, face recall {f['face_recall']:.2f}, "
                f"count tag {f['count_accuracy']:.2f}, false face {f['false_face']:.2f}"
            )
        print(f"  >= {threshold:.2f}: {line[0]} | {line[1]}")


def colours_line(figures: dict[str, float]) -> str:
    parts = []
    for part in ("hair", "eyes"):
        if figures[f"{part}_stored"]:
            parts.append(
                f"{part} {figures[f'{part}_accuracy']:.2f} right of "
                f"{figures[f'{part}_stored']:.0f} stored (coverage "
                f"{figures[f'{part}_coverage']:.2f})"
            )
        else:
            parts.append(f"{part}: none stored")
    return ", ".join(parts)


def main_line(figures: dict[str, float]) -> str:
    return (
        f"main character's face seen on {figures['main_visible']:.0f} posters: found on "
        f"{figures['main_found']:.2f}, chosen for the colours on {figures['main_chosen']:.2f}; "
        f"boxes labelled not a face still found: {figures['not_face_found']:.2f}"
    )


def genres(paths: list[Path], groups: list[str], genre_rows: list[list[str]], folds: int) -> None:
    print(f"\n== genres from the tag head, {folds}-fold CV grouped by MAL id; {load()}")
    backbone = EfficientNetLite0(num_threads=1)
    X = backbone.embed(np.stack([to_model_input(load_poster(p)) for p in paths]))
    counts = Counter(g for row in genre_rows for g in row)
    vocabulary = sorted(g for g, c in counts.items() if c >= 15)
    Y = np.array([[g in row for g in vocabulary] for row in genre_rows], dtype=np.int8)
    fold = group_folds(groups, folds, seed=0)
    print(
        f"{len(vocabulary)} genres with >= 15 posters; true genres per poster {Y.sum(1).mean():.2f}"
    )
    for rule, min_precision in (("f1", 0.5), ("precision", 0.5), ("rate", 0.5)):
        predicted = np.zeros_like(Y)
        aucs = []
        for k in np.unique(fold):
            test, train = fold == k, fold != k
            head = TagHead(threshold_rule=rule, min_precision=min_precision, random_state=0)
            head.fit(X[train], Y[train], tag_names=vocabulary)
            scores = head.predict_proba(X[test])
            predicted[test] = scores >= head.thresholds_
            aucs.append(roc_auc(Y[test], scores))
        precision, recall, f1 = precision_recall_f1(Y, predicted)
        label = f"precision >= {min_precision}" if rule == "precision" else rule
        print(
            f"[thresholds for {label}] tags per poster {predicted.sum(1).mean():.2f} "
            f"(truth {Y.sum(1).mean():.2f}); macro precision {precision.mean():.2f}, recall "
            f"{recall.mean():.2f}, F1 {f1.mean():.2f}; macro AUC {np.nanmean(aucs):.3f}"
        )
        print("  genre          true predicted precision recall")
        for j in np.argsort(-Y.sum(0)):
            print(
                f"  {vocabulary[j]:<14} {Y[:, j].sum():>4} {predicted[:, j].sum():>9} "
                f"{precision[j]:>9.2f} {recall[j]:>6.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posters", type=Path, default=DEFAULT_POSTERS)
    parser.add_argument("--limit", type=int, default=None, help="posters for the speed part")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()

    paths, groups, genre_rows = read_index(args.posters)
    runtime.configure(concurrency=1)
    speed(paths[: args.limit], head=None)
    if not args.skip_quality:
        faces_quality(args.posters)
        genres(paths, groups, genre_rows, args.folds)


if __name__ == "__main__":
    main()
