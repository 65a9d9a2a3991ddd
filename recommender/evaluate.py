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

logger = logging.getLogger("recommender.evaluate")

COLUMNS = {
    "rmse": "RMSE",
    "rmse_little_known": "RMSE little-known",
    "rmse_cold_start": "RMSE cold-start",
    "mae": "MAE",
    "precision_at_10": "P@10",
    "recall_at_10": "R@10",
    "ndcg_at_10": "nDCG@10",
    "ranked_users": "ranked users",
    "fit_seconds": "fit s",
    "predict_seconds": "predict s",
}


def parse_args(argv=None) -> argparse.Namespace:
    """The checked options (see ``recommender/evaluation/options.py``)."""
    from recommender.evaluation.options import parse_args as parse

    return parse(argv)


def _cell(stats: dict, name: str) -> str:
    if name not in stats or math.isnan(stats[name]["mean"]):
        return "n/a"
    mean, std = stats[name]["mean"], stats[name]["std"]
    if name.endswith("seconds"):
        return f"{mean:.2f}"
    if name == "ranked_users":
        return f"{mean:.0f}"
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
    from recommender.evaluation.named_models import POPULARITY, make_factory

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
    default = ["ranker"] if args.task == "topn" else ["baseline", "knn-item", "svd", "mf", "fm"]
    names = list(args.models or default)
    if args.task == "topn":
        # The reference lists are always computed in the same run.
        names = ["popularity", "ease"] + [n for n in names if n not in ("popularity", "ease")]
    else:
        names = [n for n in names if n != "popularity"]
    return names


def main(argv=None) -> int:
    """Run the command; every error is one line on stderr: exit status 2 for the command
    line, 1 for the data (``--traceback`` shows Python's traceback instead)."""
    from recommender.evaluation.csvfiles import DataError
    from recommender.evaluation.options import UsageError

    show_traceback = "--traceback" in (sys.argv[1:] if argv is None else argv)
    try:
        return _run(argv)
    except UsageError as error:
        if show_traceback:
            raise
        sys.stderr.write(f"error: {error}\n")
        return 2
    except (DataError, OSError) as error:
        if show_traceback:
            raise
        sys.stderr.write(f"error: {error}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: the results of the models that finished are written\n")
        return 130
    except Exception as error:  # a model failing on this data: one line, results kept
        if show_traceback:
            raise
        sys.stderr.write(
            f"error: {type(error).__name__}: {error} (the models that finished are in "
            "--output; rerun with --traceback to see where)\n"
        )
        return 1


def _run(argv) -> int:
    from recommender.evaluation.csvfiles import DataError
    from recommender.evaluation.options import UsageError, check_models_have_tags

    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from tqdm import tqdm

    from recommender.evaluation.datasets import load_dataset

    names = _model_names(args)
    output = Path(args.output)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--output {args.output}: cannot create it ({error.strerror})") from error
    dataset = load_dataset(args.data, args.format, args.tags)
    check_models_have_tags(names, dataset.item_features is not None)
    _check_data(args, dataset)
    factories, skipped = _factories(names)
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

        header = (
            f"{dataset.name}: {ratings.nnz} ratings, {ratings.n_users} users, "
            f"{ratings.n_items} items; top-{args.k} over the whole catalogue, {args.split} "
            f"split ({args.test_fraction:.0%} of ratings as test), seed {args.seed}; cold "
            f"R@{args.k}: works with no training rating ({args.cold_fraction:.0%} of works "
            "held out entirely, second pass)\n\n"
        )
        passes = 2 if args.cold_fraction > 0 else 1
        bar = tqdm(total=len(factories) * passes, disable=args.quiet, desc="fitting", unit="model")
        try:
            results = run_topn(
                dataset, factories, k=args.k, split=args.split,
                test_fraction=args.test_fraction, seed=args.seed,
                cold_fraction=args.cold_fraction, progress=lambda name: bar.update(),
                finished=lambda partial: _write(output, meta, partial, header,
                                                topn_table(partial, args.k), final=False),
            )  # fmt: skip
        except ValueError as error:
            raise DataError(args.data, None, str(error)) from error
        finally:
            bar.close()
        table = topn_table(results, args.k)
    else:
        results, header, table = _rmse_task(args, dataset, factories, tqdm, output, meta)
    _write(output, meta, results, header, table, final=True)
    sys.stdout.write(header + table + "\n")
    return 0


def _check_data(args, dataset) -> None:
    """What the data must hold for the options asked, before any model is fitted."""
    from recommender.evaluation.csvfiles import DataError
    from recommender.evaluation.options import UsageError

    ratings = dataset.ratings
    if args.split == "temporal" and ratings.times is None:
        why = f": {dataset.no_times}" if dataset.no_times else ""
        raise DataError(
            args.data, None, f"--split temporal needs a timestamp on every rating{why} "
            "(add a 4th column, or use --split random)",
        )  # fmt: skip
    if args.official_folds and not dataset.folds:
        raise UsageError(
            f"--official-folds: {args.data} has none (only MovieLens 100K folders have "
            "u1..u5): drop --official-folds"
        )
    if args.task == "rmse" and args.split == "random" and not args.official_folds:
        if ratings.nnz < args.folds:
            raise DataError(
                args.data, None, f"{ratings.nnz} rating(s) for {args.folds} folds: each fold "
                "needs a test rating (lower --folds or add ratings)",
            )  # fmt: skip
    if ratings.nnz < 2:
        raise DataError(args.data, None, "a single rating: nothing to train on and test")


def _write(output: Path, meta: dict, results: dict, header: str, table: str, final: bool):
    """results.json and results.md; called after each model, so a long run that stops
    keeps what it measured (``partial`` tells which file is complete)."""
    from recommender.algorithms.persistence import atomic_write

    payload = {"meta": {**meta, "partial": not final}, "models": results}
    note = "" if final else "(partial: the run is still going or stopped early)\n\n"
    # Rewritten after each model: a reader sees the previous version or this one, whole.
    for name, text in (
        ("results.json", json.dumps(payload, indent=2)),
        ("results.md", header + note + table + "\n"),
    ):
        with atomic_write(output / name) as handle:
            handle.write(text.encode())


def _rmse_task(args, dataset, factories, tqdm, output, meta):
    from recommender.evaluation.csvfiles import DataError
    from recommender.evaluation.protocol import run_protocol

    factories = {name: f for name, f in factories.items() if f is not None}
    n_folds = args.folds
    if args.official_folds:
        n_folds = min(args.folds, len(dataset.folds))
    if args.split == "temporal":
        n_folds = 1
    ratings = dataset.ratings
    split = (
        f"temporal split (each user's latest {args.test_fraction:.0%} as test)"
        if args.split == "temporal"
        else f"{n_folds} folds"
    )
    header = (
        f"{dataset.name}: {ratings.nnz} ratings, {ratings.n_users} users, "
        f"{ratings.n_items} items; {split}, seed {args.seed}, "
        f"cold-start fraction {args.cold_fraction}; ranking metrics over users with at "
        f"least {args.min_test_items or 11} test items\n\n"
    )
    bar = tqdm(total=len(factories) * n_folds, disable=args.quiet, desc="fitting", unit="fold")

    def progress(name, fold):
        bar.set_postfix_str(f"{name} fold {fold + 1}")
        bar.update()

    try:
        results = run_protocol(
            dataset, factories, n_folds=n_folds, seed=args.seed,
            cold_fraction=args.cold_fraction, validation_fraction=args.validation_fraction,
            official=args.official_folds, progress=progress, split=args.split,
            test_fraction=args.test_fraction, min_items=args.min_test_items,
            finished=lambda partial: _write(output, meta, partial, header,
                                            markdown_table(partial), final=False),
        )  # fmt: skip
    except ValueError as error:
        raise DataError(args.data, None, str(error)) from error
    finally:
        bar.close()
    return results, header, markdown_table(results)


if __name__ == "__main__":
    raise SystemExit(main())
