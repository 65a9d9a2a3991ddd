"""Benchmark the poster tagger on the real posters in ../shared/data/posters.

Measures, on this machine's CPU:
1. embedding throughput (posters/second; batched EfficientNet-Lite0 forward passes, and the
   end-to-end rate including JPEG decoding and preprocessing), for the "pad" and "crop" fits;
2. the anime-face detection rate (posters with at least one face) and its cost;
3. genre prediction by the tag head from embeddings alone: k-fold over posters (both posters of
   one MAL id stay in the same fold), mean ROC AUC and mean average precision over genres,
   against predicting each genre by its training frequency (AUC 0.5 by construction, AP equal
   to the genre's positive rate).

Run from the repository root:
    .venv/bin/python -m benchmarks.bench_tagger [--posters DIR] [--folds 5] [--threads 2]
Prints the numbers; docs/tagger.md records a run.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from pathlib import Path

import numpy as np

from tagger.vision.backbone import EfficientNetLite0
from tagger.vision.faces import analyse_faces
from tagger.vision.head import TagHead
from tagger.vision.metrics import average_precision, precision_recall_f1, roc_auc
from tagger.vision.preprocess import load_poster, to_model_input

DEFAULT_POSTERS = Path(__file__).resolve().parents[2] / "shared" / "data" / "posters"


def read_index(posters: Path) -> tuple[list[Path], list[str], list[list[str]]]:
    with (posters / "index.csv").open(newline="", encoding="utf-8") as stream:
        rows = sorted(csv.DictReader(stream), key=lambda row: row["file"])
    paths = [posters / row["file"] for row in rows]
    groups = [row["mal_id"] for row in rows]
    genres = [[g for g in row["genres_mugenlist"].split("|") if g] for row in rows]
    return paths, groups, genres


def embed_all(paths, backbone, fit, batch_size):
    """Embeddings of all posters, end-to-end seconds, forward seconds and forward CPU seconds.

    CPU seconds (summed over torch's threads) tell what the forward pass costs when other
    processes share the cores: wall time then measures the neighbours as much as the model.
    """
    start = time.perf_counter()
    forward = cpu = 0.0
    chunks = []
    for offset in range(0, len(paths), batch_size):
        batch = np.stack(
            [to_model_input(load_poster(p), fit=fit) for p in paths[offset : offset + batch_size]]
        )
        tick, cpu_tick = time.perf_counter(), time.process_time()
        chunks.append(backbone.embed(batch))
        forward += time.perf_counter() - tick
        cpu += time.process_time() - cpu_tick
    return np.concatenate(chunks), time.perf_counter() - start, forward, cpu


def group_folds(groups: list[str], k: int, seed: int) -> np.ndarray:
    """Fold number per row; rows sharing a group (MAL id) share a fold."""
    unique = np.array(sorted(set(groups)))
    rng = np.random.default_rng(seed)
    fold_of_group = dict(zip(rng.permutation(unique), np.arange(len(unique)) % k, strict=True))
    return np.array([fold_of_group[g] for g in groups])


def genre_cv(X, Y, folds, alpha):
    """Per-fold, per-genre AUC / AP / F1 of the head and of the frequency baseline.

    Metrics are computed inside each test fold and then averaged: pooling out-of-fold scores
    would compare the baseline's different per-fold constants and give it an AUC below 0.5.
    """
    results = {name: [] for name in ("auc", "ap", "f1", "base_auc", "base_ap")}
    for fold in np.unique(folds):
        test, train = folds == fold, folds != fold
        head = TagHead(alpha=alpha, random_state=0).fit(X[train], Y[train])
        scores = head.predict_proba(X[test])
        constant = np.broadcast_to(Y[train].mean(axis=0), scores.shape)
        results["auc"].append(roc_auc(Y[test], scores))
        results["ap"].append(average_precision(Y[test], scores))
        results["f1"].append(precision_recall_f1(Y[test], scores >= head.thresholds_)[2])
        results["base_auc"].append(roc_auc(Y[test], constant))
        results["base_ap"].append(average_precision(Y[test], constant))
    # (genres,) arrays: mean over the folds where the metric is defined.
    return {name: np.nanmean(np.array(values), axis=0) for name, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posters", type=Path, default=DEFAULT_POSTERS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--min-genre-count", type=int, default=15)
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.01, 0.1, 1.0])
    parser.add_argument("--skip-faces", action="store_true")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    paths, groups, genres = read_index(args.posters)
    print(f"posters: {len(paths)} files, {len(set(groups))} MAL ids, torch threads {args.threads}")

    backbone = EfficientNetLite0(batch_size=args.batch_size)
    tick = time.perf_counter()
    backbone.embed(np.zeros((1, 3, 224, 224), np.float32))  # load weights, warm up
    print(f"model load + first call: {time.perf_counter() - tick:.2f} s")
    embeddings = {}
    for fit in ("pad", "crop"):
        X, total, forward, cpu = embed_all(paths, backbone, fit, args.batch_size)
        embeddings[fit] = X
        print(
            f"[{fit}] embedding: {len(paths) / forward:.1f} posters/s forward only, "
            f"{len(paths) / total:.1f} posters/s end to end (decode+preprocess+forward), "
            f"batch {args.batch_size}; forward CPU time {cpu / len(paths) * 1000:.0f} ms/poster "
            f"(= {len(paths) / cpu * args.threads:.1f} posters/s on {args.threads} idle core(s))"
        )

    if not args.skip_faces:
        tick = time.perf_counter()
        analyses = [analyse_faces(load_poster(p)) for p in paths]
        seconds = time.perf_counter() - tick
        found = sum(a.count > 0 for a in analyses)
        counts = Counter(a.tags[0][0] for a in analyses)
        colours = Counter(
            name for a in analyses for name, _ in a.tags if name.endswith(("hair", "eyes"))
        )
        print(
            f"faces: {found}/{len(paths)} posters ({found / len(paths):.1%}) with >= 1 face, "
            f"{sum(a.count for a in analyses)} faces, {seconds / len(paths) * 1000:.0f} ms/poster"
        )
        print("  count tags:", dict(counts.most_common()))
        print("  colour tags:", dict(colours.most_common(12)))

    counts = Counter(g for row in genres for g in row)
    vocabulary = sorted(g for g, c in counts.items() if c >= args.min_genre_count)
    Y = np.array([[g in row for g in vocabulary] for row in genres], dtype=np.int8)
    folds = group_folds(groups, args.folds, seed=0)
    print(
        f"genres: {len(vocabulary)} with >= {args.min_genre_count} posters; "
        f"{args.folds}-fold CV grouped by MAL id"
    )
    for fit, X in embeddings.items():
        for alpha in args.alphas:
            tick = time.perf_counter()
            r = genre_cv(X, Y, folds, alpha)
            print(
                f"[{fit}, alpha={alpha:g}] mean AUC {r['auc'].mean():.3f} (baseline "
                f"{r['base_auc'].mean():.3f}); mean AP {r['ap'].mean():.3f} (baseline "
                f"{r['base_ap'].mean():.3f}); mean F1 {r['f1'].mean():.3f}; "
                f"{time.perf_counter() - tick:.1f} s"
            )
    default_alpha = TagHead().alpha
    r = genre_cv(embeddings["pad"], Y, folds, default_alpha)
    print(f"per genre (pad, alpha={default_alpha:g}): genre, posters, AUC, AP, baseline AP")
    for j in np.argsort(-r["auc"]):
        print(
            f"  {vocabulary[j]:<14} {Y[:, j].sum():>4} {r['auc'][j]:.3f} {r['ap'][j]:.3f} "
            f"{r['base_ap'][j]:.3f}"
        )


if __name__ == "__main__":
    main()
