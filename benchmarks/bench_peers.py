"""Fit our ALS and the peer libraries side by side, one process per library, and compare.

For each dataset (MovieLens 100K, and the synthetic set the size of the Kaggle anime ratings
from ``benchmarks/synthetic.py``) and each peer (``benchmarks/peers.py``): data handover
time (not counted in the fit), fit time for rank 20 and 10 iterations (median of
``--repeats`` after a warm-up fit), peak RSS of the peer's process (plus its JVM for Spark),
and on MovieLens the RMSE over the official folds u1..u5. Each peer runs in its own
subprocess, so its memory is its own and a missing or crashing peer is reported in its
row ("not installed", "failed: ...") while the others go on. Peers come from
``requirements-bench.txt``.

``--task topn`` compares full-catalogue top-20 lists instead, on MovieLens 100K with the
protocol of ``python -m recommender.evaluate --task topn`` (20% of the ratings held out at
random or, per user, the latest; relevant = a held-out rating of 4 or 5): our list model,
EASE and the popularity list beside implicit's ALS and LensKit's item-kNN and implicit MF,
each in its own process, with fit time, recall@20, nDCG@20, coverage and novelty.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_peers                      # everything
    .venv/bin/python -m benchmarks.bench_peers --dataset ml100k --peers mangaki,cornac
    .venv/bin/python -m benchmarks.bench_peers --dataset synthetic --scale 0.1 --repeats 1
    .venv/bin/python -m benchmarks.bench_peers --task topn          # lists, both splits
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_als import ML100K, _fold, timed
from benchmarks.memory import memory_mb
from benchmarks.peers import PEERS, failed_line, peer_label, table_start
from benchmarks.shared_data import missing
from benchmarks.topn_peers import TOPN_PEERS, format_topn, measure_topn
from recommender.algorithms.base import RatingMatrix

logger = logging.getLogger("bench_peers")
ROOT = Path(__file__).resolve().parents[1]
DATASETS = ("ml100k", "synthetic")
SPLITS = ("random", "temporal")
OURS = "mangaki"


def resolve(spec: str):
    """A registered peer name, or ``module:Class`` for an adapter defined elsewhere."""
    if ":" in spec:
        module, name = spec.split(":", 1)
        return getattr(importlib.import_module(module), name)
    return PEERS[spec]


def prepare_dataset(dataset: str, scale: float, folder: Path) -> Path:
    """Where the children read ``dataset``: the MovieLens folder, or the synthetic set
    generated once here and saved as plain arrays (so no child pays for generating it)."""
    if dataset == "ml100k":
        return ML100K
    from benchmarks.synthetic import anime_like

    ratings = anime_like(scale=scale).ratings
    path = folder / f"synthetic-{scale}.npz"
    np.savez(
        path, users=ratings.users.astype(np.int32), items=ratings.items.astype(np.int32),
        values=ratings.values.astype(np.float32), shape=[ratings.n_users, ratings.n_items],
    )  # fmt: skip
    return path


def _load(dataset: str, path: Path) -> RatingMatrix:
    if dataset == "ml100k":
        table = np.loadtxt(path / "u.data", dtype=np.int64, usecols=(0, 1, 2))
        values = table[:, 2].astype(np.float64)
        return RatingMatrix.from_triples(table[:, 0] - 1, table[:, 1] - 1, values, 943, 1682)
    arrays = np.load(path)
    n_users, n_items = (int(n) for n in arrays["shape"])
    return RatingMatrix.from_triples(
        arrays["users"], arrays["items"], arrays["values"], n_users, n_items
    )


def _movielens_rmse(peer) -> list[float]:
    errors = []
    for k in range(1, 6):
        train, (users, items, values) = _fold(k)
        predicted = peer.predict(peer.fit(peer.convert(train), "ml100k"), users, items)
        # A library's own fallback for unknown users/items when it has one, else the mean.
        predicted = np.where(np.isnan(predicted), train.values.mean(), predicted)
        predicted = np.clip(predicted, 1, 5)
        errors.append(float(np.sqrt(np.mean((predicted - values) ** 2))))
    return errors


def measure(spec: str, dataset: str, path: Path, repeats: int) -> dict:
    """Run in the child: everything measured for one peer on one dataset."""
    row = {"peer": spec, "dataset": dataset, "load_average": os.getloadavg()[0]}
    peer = resolve(spec)()
    row |= {"library": peer.library, "model": peer.model, "threads": peer.threads}
    if dataset not in peer.datasets:
        return row | {"status": "skipped (too slow for this dataset)"}
    if importlib.util.find_spec(peer.package) is None:
        return row | {"status": "not installed"}
    try:
        if peer.distribution:
            row["version"] = importlib.metadata.version(peer.distribution)
        row["start_s"] = peer.start()
        try:
            _measure_fit(peer, row, path, repeats)
        finally:
            peer.stop()
    except Exception as error:  # reported in the row: one peer's failure is not the run's
        logger.exception("%s on %s failed", spec, dataset)
        return row | {"status": f"failed: {error!r}"[:300]}
    return row | {"status": "ok"}


def _measure_fit(peer, row: dict, path: Path, repeats: int) -> None:
    dataset = row["dataset"]
    ratings = _load(dataset, path)
    row["ratings"] = int(ratings.nnz)
    began = time.perf_counter()
    data = peer.convert(ratings)
    row["convert_s"] = time.perf_counter() - began
    row["rss_before_fit_mb"] = memory_mb("VmRSS")
    wall, fastest, cpu = timed(lambda: peer.fit(data, dataset), repeats)
    row |= {"fit_s": wall, "fastest_s": fastest, "python_cpu_s": cpu, "repeats": repeats}
    if dataset == "ml100k":
        row["rmse_folds"] = None if peer.no_rmse else _movielens_rmse(peer)
        row["rmse_note"] = peer.no_rmse
    row["peak_rss_mb"] = memory_mb("VmHWM")


def child_main(args) -> None:
    if args.task == "topn":
        row = measure_topn(args.child, args.dataset)
    else:
        row = measure(args.child, args.dataset, Path(args.data), args.repeats)
    Path(args.json).write_text(json.dumps(row))


def run_peer(spec, dataset, path, repeats, folder: Path, timeout=3600.0, task="als") -> dict:
    """Measure one peer in a child process (its own session, so a timeout kills its JVM
    too) and return its row; a crash or a timeout becomes a ``failed: ...`` row."""
    out, log = folder / f"{spec}-{dataset}.json".replace(":", "_"), folder / "child.log"
    command = [
        sys.executable, "-m", "benchmarks.bench_peers", "--child", spec, "--task", task,
        "--dataset", dataset, "--data", str(path), "--repeats", str(repeats), "--json", str(out),
    ]  # fmt: skip
    out.unlink(missing_ok=True)
    began = time.perf_counter()
    with open(log, "w") as stream:
        child = subprocess.Popen(
            command, cwd=ROOT, stdout=stream, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            code = f"timeout after {timeout:.0f} s"
    if out.exists():
        row = json.loads(out.read_text())
    else:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        row = {"peer": spec, "dataset": dataset, "status": f"failed: exit {code}"}
        if lines:
            row["status"] += f": {lines[-1].strip()[:200]}"
    row["child_wall_s"] = time.perf_counter() - began
    if row["status"] != "ok":
        logger.info("%s on %s: %s", spec, dataset, row["status"])
    return row


def add_ratios(rows: list[dict]) -> None:
    """Peer fit time and peak RSS over ours on the same dataset: x3 = ours is 3 times
    faster (or smaller). No ratio when either side did not run."""
    ours = {r["dataset"]: r for r in rows if r["peer"] == OURS and r["status"] == "ok"}
    for row in rows:
        base = ours.get(row["dataset"])
        if base is None or row["status"] != "ok" or row is base:
            continue
        row["fit_ratio"] = row["fit_s"] / base["fit_s"]
        row["rss_ratio"] = row["peak_rss_mb"] / base["peak_rss_mb"]


def _rmse_cell(row: dict) -> str:
    if row.get("rmse_note"):
        return row["rmse_note"]
    folds = row.get("rmse_folds")
    return f"{np.mean(folds):.4f}" if folds else ""


def format_table(rows: list[dict]) -> str:
    """The results as a Markdown table, one row per peer and dataset."""
    header = (
        "| dataset | library | model | threads | convert s | fit s (median) | fastest s "
        "| peak RSS MB | RMSE u1..u5 | fit: peer/ours | RSS: peer/ours | notes |"
    )
    lines = table_start(header)
    for row in rows:
        name = peer_label(row)
        if row["status"] != "ok":
            lines.append(failed_line(row, name, blanks=8))
            continue
        notes = [f"load {row['load_average']:.1f}"]
        if row.get("start_s"):
            notes.insert(0, f"JVM start {row['start_s']:.1f} s")
        ratio = [f"x{row[key]:.2f}" if key in row else "" for key in ("fit_ratio", "rss_ratio")]
        cells = [
            row["dataset"], name, row["model"], row["threads"], f"{row['convert_s']:.2f}",
            f"**{row['fit_s']:.2f}**", f"{row['fastest_s']:.2f}", f"{row['peak_rss_mb']:.0f}",
            _rmse_cell(row), *ratio, "; ".join(notes),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--task", choices=("als", "topn"), default="als", help="ALS fits, or top-N lists"
    )
    parser.add_argument("--dataset", choices=[*DATASETS, *SPLITS, "both"], default="both")
    parser.add_argument("--peers", default=None, help="comma list, ours first")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits after a warm-up")
    parser.add_argument("--scale", type=float, default=1.0, help="of the synthetic set")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per peer")
    parser.add_argument("--json", help="write every measurement here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.child:
        child_main(args)
        return
    if args.task == "topn":
        topn_main(args, parser)
        return
    peers = (args.peers or ",".join(PEERS)).split(",")
    unknown = [p for p in peers if p not in PEERS and ":" not in p]
    if unknown:
        parser.error(f"unknown peers {unknown}; known: {', '.join(PEERS)}")
    datasets = DATASETS if args.dataset == "both" else (args.dataset,)
    started, rows = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), []
    with tempfile.TemporaryDirectory() as folder:
        for dataset in datasets:
            path = prepare_dataset(dataset, args.scale, Path(folder))
            if not path.exists():
                logger.warning("%s not found at %s: skipped", dataset, path)
                continue
            for peer in peers:
                logger.info("%s on %s ...", peer, dataset)
                rows.append(run_peer(peer, dataset, path, args.repeats, Path(folder), args.timeout))
    add_ratios(rows)
    print(format_table(rows))
    print(
        f"\n{started}, {os.cpu_count()} CPUs, load average at the end "
        f"{os.getloadavg()[0]:.1f}; fit = median of {args.repeats} after a warm-up; "
        "x2 = ours is twice as fast (or half the memory)."
    )
    if args.json:
        report = {"started": started, "argv": sys.argv[1:], "rows": rows}
        Path(args.json).write_text(json.dumps(report, indent=1))


def topn_main(args, parser) -> None:
    peers = (args.peers or ",".join(TOPN_PEERS)).split(",")
    unknown = [p for p in peers if p not in TOPN_PEERS]
    if unknown:
        parser.error(f"unknown top-N peers {unknown}; known: {', '.join(TOPN_PEERS)}")
    if not (ML100K / "u.data").exists():
        parser.error(missing("movielens", "ml-100k", "u.data") or "")
    splits = SPLITS if args.dataset in ("both", *DATASETS) else (args.dataset,)
    started, rows = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), []
    with tempfile.TemporaryDirectory() as folder:
        for split in splits:
            for peer in peers:
                logger.info("%s, %s split ...", peer, split)
                rows.append(
                    run_peer(peer, split, ML100K, 1, Path(folder), args.timeout, task="topn")
                )
    print(format_topn(rows))
    print(
        f"\n{started}, MovieLens 100K, {os.cpu_count()} CPUs, load average at the end "
        f"{os.getloadavg()[0]:.1f}; 20% of the ratings held out, seed 0; relevant = 4 or 5 "
        "stars; novelty = mean popularity rank of the works listed (1 = the most rated)."
    )
    if args.json:
        report = {"started": started, "argv": sys.argv[1:], "rows": rows}
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
