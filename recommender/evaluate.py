"""Command line: run the BALSE paper's evaluation protocol on a rating dataset.

Example::

    python -m recommender.evaluate --data ../shared/data/movielens/ml-100k \\
        --models baseline,knn-item,fm --official-folds --output results/ml100k

Writes ``results.json`` (every fold) and ``results.md`` (the table) into ``--output`` and
prints the table.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from pathlib import Path

from recommender.evaluation.protocol import METRICS

logger = logging.getLogger("recommender.evaluate")

COLUMNS = {
    "rmse": "RMSE",
    "rmse_little_known": "RMSE little-known",
    "rmse_cold_start": "RMSE cold-start",
    "mae": "MAE",
    "precision_at_10": "P@10",
    "recall_at_10": "R@10",
    "ndcg_at_10": "nDCG@10",
    "fit_seconds": "fit s",
    "predict_seconds": "predict s",
}


def parse_args(argv=None) -> argparse.Namespace:
    from recommender.evaluation.datasets import FORMATS
    from recommender.evaluation.registry import MODELS

    parser = argparse.ArgumentParser(
        prog="python -m recommender.evaluate",
        description="Cross-validated evaluation of recommenders (BALSE paper protocol).",
    )
    parser.add_argument("--data", required=True, help="ratings file or MovieLens folder")
    parser.add_argument("--format", default="auto", choices=FORMATS, help="dataset format")
    parser.add_argument("--tags", default=None, help="optional item,tag[,weight] CSV")
    parser.add_argument(
        "--models",
        default="baseline,knn-item,svd,mf,fm",
        help=f"comma-separated list from: {', '.join(MODELS)}",
    )
    parser.add_argument("--folds", type=int, default=5, help="number of folds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed for splits and models")
    parser.add_argument(
        "--official-folds",
        action="store_true",
        help="MovieLens: use the official u1..u5 splits (the first --folds of them)",
    )
    parser.add_argument("--cold-fraction", type=float, default=0.05, help="share of cold works")
    parser.add_argument("--validation-fraction", type=float, default=0.3)
    parser.add_argument("--output", default="evaluation-results", help="output directory")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def _cell(stats: dict, name: str) -> str:
    if name not in stats or math.isnan(stats[name]["mean"]):
        return "n/a"
    mean, std = stats[name]["mean"], stats[name]["std"]
    if name.endswith("seconds"):
        return f"{mean:.2f}"
    return f"{mean:.4f} ± {std:.4f}"


def markdown_table(results: dict) -> str:
    """The summary as a Markdown table, one row per model.

    Example::

        >>> print(markdown_table({"m": {"summary": {"rmse": {"mean": 1.0, "std": 0.0}}}}))
        ... # doctest: +ELLIPSIS
        | model | RMSE | ...
        |---|---|...
        | m | 1.0000 ± 0.0000 | n/a | ...
    """
    header = "| model | " + " | ".join(COLUMNS[m] for m in METRICS) + " |"
    lines = [header, "|---|" + "---|" * len(METRICS)]
    for name, result in results.items():
        cells = [_cell(result["summary"], m) for m in METRICS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from tqdm import tqdm

    from recommender.evaluation.datasets import load_dataset
    from recommender.evaluation.protocol import run_protocol
    from recommender.evaluation.registry import make_factory

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    factories, skipped = {}, {}
    for name in names:
        try:
            factories[name] = make_factory(name)
        except ImportError as error:  # a model whose module is absent is reported, not fatal
            skipped[name] = str(error)
            logger.warning("skipping %s: %s", name, error)
    dataset = load_dataset(args.data, args.format, args.tags)
    n_folds = args.folds
    if args.official_folds:
        if not dataset.folds:
            raise SystemExit(f"{args.data}: no official folds (only MovieLens 100K has them)")
        n_folds = min(args.folds, len(dataset.folds))
    bar = tqdm(total=len(factories) * n_folds, disable=args.quiet, desc="fitting", unit="fold")

    def progress(name, fold):
        bar.set_postfix_str(f"{name} fold {fold + 1}")
        bar.update()

    results = run_protocol(
        dataset,
        factories,
        n_folds=n_folds,
        seed=args.seed,
        cold_fraction=args.cold_fraction,
        validation_fraction=args.validation_fraction,
        official=args.official_folds,
        progress=progress,
    )
    bar.close()
    table = markdown_table(results)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    ratings = dataset.ratings
    meta = {
        "dataset": dataset.name,
        "n_users": ratings.n_users,
        "n_items": ratings.n_items,
        "n_ratings": ratings.nnz,
        "scale": dataset.scale.__dict__,
        "command": "python -m recommender.evaluate "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "options": vars(args),
        "skipped": skipped,
    }
    (output / "results.json").write_text(json.dumps({"meta": meta, "models": results}, indent=2))
    header = (
        f"{dataset.name}: {ratings.nnz} ratings, {ratings.n_users} users, "
        f"{ratings.n_items} items; {n_folds} folds, seed {args.seed}, "
        f"cold-start fraction {args.cold_fraction}\n\n"
    )
    (output / "results.md").write_text(header + table + "\n")
    sys.stdout.write(header + table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
