"""Command line: run the BALSE paper's evaluation protocol on a rating dataset.

Example::

    python -m recommender.evaluate --data ../shared/data/movielens/ml-100k \\
        --models baseline,knn-item,fm --official-folds --output results/ml100k

    python -m recommender.evaluate --task topn --data ../shared/data/movielens/ml-100k \\
        --split temporal

``--task rmse`` (the default) is the BALSE paper's rating protocol; ``--task topn`` ranks
the whole catalogue for every person (recall, nDCG, coverage, novelty at ``--k``) next to
the popularity list and EASE computed in the same run. Writes ``results.json`` and
``results.md`` (the table) into ``--output`` and prints the table.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Callable
from pathlib import Path

from recommender.evaluation.protocol import METRICS
from recommender.evaluation.topn import SPLITS

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
    parser.add_argument(
        "--task",
        default="rmse",
        choices=("rmse", "topn"),
        help="rmse: the BALSE paper's rating protocol; topn: full-catalogue top-N lists",
    )
    parser.add_argument("--data", required=True, help="ratings file or MovieLens folder")
    parser.add_argument("--format", default="auto", choices=FORMATS, help="dataset format")
    parser.add_argument("--tags", default=None, help="optional item,tag[,weight] CSV")
    parser.add_argument(
        "--models",
        default=None,
        help=f"comma-separated list from: {', '.join(MODELS)} (topn also: popularity); "
        "default baseline,knn-item,svd,mf,fm (rmse) or ranker (topn, always shown next to "
        "popularity and ease)",
    )
    parser.add_argument("--split", default="random", choices=SPLITS, help="topn: test split")
    parser.add_argument("--k", type=int, default=20, help="topn: list length (default 20)")
    parser.add_argument(
        "--test-fraction", type=float, default=0.2, help="topn: share of ratings held out"
    )
    parser.add_argument("--folds", type=int, default=5, help="number of folds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed for splits and models")
    parser.add_argument(
        "--official-folds",
        action="store_true",
        help="MovieLens: use the official u1..u5 splits (the first --folds of them)",
    )
    parser.add_argument(
        "--cold-fraction",
        type=float,
        default=0.05,
        help="share of works held out entirely (topn: reported in a second pass)",
    )
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


TOPN_COLUMNS = {
    "recall": "R@{k}",
    "ndcg": "nDCG@{k}",
    "coverage": "coverage",
    "novelty": "novelty",
    "cold_recall": "cold R@{k}",
    "n_users": "users",
    "fit_seconds": "fit s",
}


def topn_table(results: dict, k: int) -> str:
    """The top-N results as a Markdown table, one row per model.

    Example::

        >>> print(topn_table({"m": {"recall": 0.5, "ndcg": 0.25, "n_users": 3}}, 20))
        ... # doctest: +ELLIPSIS
        | model | R@20 | nDCG@20 | coverage | novelty | cold R@20 | users | fit s |
        |---|...
        | m | 0.5000 | 0.2500 | n/a | n/a | n/a | 3 | n/a |
    """
    header = "| model | " + " | ".join(c.format(k=k) for c in TOPN_COLUMNS.values()) + " |"
    lines = [header, "|---|" + "---|" * len(TOPN_COLUMNS)]
    for name, result in results.items():
        cells = []
        for column in TOPN_COLUMNS:
            value = result.get(column)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                cells.append("n/a")
            elif column in ("n_users",):
                cells.append(str(value))
            elif column in ("novelty", "fit_seconds"):
                cells.append(f"{value:.1f}")
            else:
                cells.append(f"{value:.4f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _factories(names: list[str]) -> tuple[dict, dict]:
    from recommender.evaluation.registry import POPULARITY, make_factory

    factories: dict[str, Callable | None] = {}
    skipped: dict[str, str] = {}
    for name in names:
        if name == POPULARITY:
            factories[name] = None
            continue
        try:
            factories[name] = make_factory(name)
        except ImportError as error:  # a model whose module is absent is reported, not fatal
            skipped[name] = str(error)
            logger.warning("skipping %s: %s", name, error)
    return factories, skipped


def _model_names(args) -> list[str]:
    default = "ranker" if args.task == "topn" else "baseline,knn-item,svd,mf,fm"
    names = [n.strip() for n in (args.models or default).split(",") if n.strip()]
    if args.task == "topn":
        # The reference lists are always computed in the same run.
        names = ["popularity", "ease"] + [n for n in names if n not in ("popularity", "ease")]
    return names


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from tqdm import tqdm

    from recommender.evaluation.datasets import load_dataset

    factories, skipped = _factories(_model_names(args))
    dataset = load_dataset(args.data, args.format, args.tags)
    ratings = dataset.ratings
    command = "python -m recommender.evaluate " + " ".join(sys.argv[1:] if argv is None else argv)
    meta = {
        "dataset": dataset.name,
        "n_users": ratings.n_users,
        "n_items": ratings.n_items,
        "n_ratings": ratings.nnz,
        "scale": dataset.scale.__dict__,
        "command": command,
        "options": vars(args),
        "skipped": skipped,
    }
    if args.task == "topn":
        from recommender.evaluation.topn import run_topn

        passes = 2 if args.cold_fraction > 0 else 1
        bar = tqdm(total=len(factories) * passes, disable=args.quiet, desc="fitting", unit="model")
        results = run_topn(
            dataset,
            factories,
            k=args.k,
            split=args.split,
            test_fraction=args.test_fraction,
            seed=args.seed,
            cold_fraction=args.cold_fraction,
            progress=lambda name: bar.update(),
        )
        bar.close()
        table = topn_table(results, args.k)
        header = (
            f"{dataset.name}: {ratings.nnz} ratings, {ratings.n_users} users, "
            f"{ratings.n_items} items; top-{args.k} over the whole catalogue, {args.split} "
            f"split ({args.test_fraction:.0%} of ratings as test), seed {args.seed}; cold "
            f"R@{args.k}: works with no training rating ({args.cold_fraction:.0%} of works "
            "held out entirely, second pass)\n\n"
        )
    else:
        results, header, table = _rmse_task(args, dataset, factories, tqdm)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(json.dumps({"meta": meta, "models": results}, indent=2))
    (output / "results.md").write_text(header + table + "\n")
    sys.stdout.write(header + table + "\n")
    return 0


def _rmse_task(args, dataset, factories, tqdm):
    from recommender.evaluation.protocol import run_protocol

    factories = {name: f for name, f in factories.items() if f is not None}
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
    ratings = dataset.ratings
    header = (
        f"{dataset.name}: {ratings.nnz} ratings, {ratings.n_users} users, "
        f"{ratings.n_items} items; {n_folds} folds, seed {args.seed}, "
        f"cold-start fraction {args.cold_fraction}\n\n"
    )
    return results, header, markdown_table(results)


if __name__ == "__main__":
    raise SystemExit(main())
