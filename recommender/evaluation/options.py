"""The evaluation command's options, checked when they are parsed.

Every problem the command line alone shows (an unknown model, a fraction outside its
range, a missing file, a model that needs tags without any) is a :class:`UsageError`:
one line naming the option and the fix, exit status 2. Problems found while reading the
data are :class:`~recommender.evaluation.csvfiles.DataError` (exit status 1).

Example::

    >>> fraction("0.3", "--test-fraction", low_open=True)
    0.3
    >>> fraction("1.5", "--cold-fraction")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: --cold-fraction 1.5 must lie in [0, 1) (for example 0.05)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

#: Models that cannot run without item tags (genres, poster tags...).
NEEDS_TAGS = {
    "lasso": "LASSO regresses on item tags",
    "balse": "BALSE's LASSO part regresses on item tags",
    "blend": "the blend stacks a LASSO, which regresses on item tags",
}
EXAMPLES = {"--cold-fraction": "0.05", "--test-fraction": "0.2", "--validation-fraction": "0.3"}


class UsageError(Exception):
    """A problem with the command line itself (exit status 2)."""


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (no usage block) with status 2."""

    def error(self, message: str):
        # Our option types name their option themselves: drop argparse's "argument X: ".
        message = re.sub(r"^argument [^:]+: (?=--)", "", message)
        raise UsageError(f"{message} (see {self.prog} --help)")

    def exit(self, status=0, message=None):
        if message:
            sys.stderr.write(message)
        raise SystemExit(status)


def fraction(text: str, option: str, low_open: bool = False) -> float:
    """A number in [0, 1) (or (0, 1) with ``low_open``) for ``option``."""
    interval = "(0, 1)" if low_open else "[0, 1)"
    example = EXAMPLES.get(option, "0.2")
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{option} {text!r} is not a number: give a fraction in {interval} such as {example}"
        ) from None
    if not (0.0 < value < 1.0 if low_open else 0.0 <= value < 1.0):
        raise argparse.ArgumentTypeError(
            f"{option} {text} must lie in {interval} (for example {example})"
        )
    return value


def _fraction(option: str, low_open: bool = False):
    def parse(text: str) -> float:
        return fraction(text, option, low_open)

    return parse


def _integer(option: str, low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{option} {text!r} is not a whole number: give one >= {low}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{option} {value} must be at least {low}")
        return value

    return parse


def _existing(option: str):
    def parse(text: str) -> str:
        if not Path(text).exists():
            raise argparse.ArgumentTypeError(
                f"{option} {text}: no such file or folder (check the path)"
            )
        return text

    return parse


def _model_list(text: str) -> list[str]:
    from recommender.evaluation.named_models import MODELS, POPULARITY

    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("--models is empty: give a comma-separated list")
    known = [*MODELS, POPULARITY]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"--models: unknown model {unknown[0]!r}; choose from {', '.join(known)}"
        )
    return names


def build_parser() -> OneLineParser:
    from recommender.evaluation.datasets import FORMATS
    from recommender.evaluation.named_models import MODELS
    from recommender.evaluation.protocol import SPLITS

    parser = OneLineParser(
        prog="python -m recommender.evaluate",
        description="Cross-validated evaluation of recommenders (BALSE paper protocol).",
    )
    add = parser.add_argument
    add(
        "--task",
        default="rmse",
        choices=("rmse", "topn"),
        help="rmse: the BALSE paper's rating protocol; topn: full-catalogue top-N lists",
    )
    add(
        "--data",
        required=True,
        type=_existing("--data"),
        help="ratings file (user,item,rating[,timestamp]) or MovieLens 100K folder",
    )
    add("--format", default="auto", choices=FORMATS, help="dataset format")
    add("--tags", default=None, type=_existing("--tags"), help="item,tag[,weight] CSV")
    add(
        "--models",
        default=None,
        type=_model_list,
        help=f"comma-separated list from: {', '.join(MODELS)} (topn also: popularity); "
        "default baseline,knn-item,svd,mf,fm (rmse) or ranker (topn, always shown next to "
        "popularity and ease)",
    )
    add(
        "--split",
        default="random",
        choices=SPLITS,
        help="random folds, or temporal: each user's latest ratings as test (needs times)",
    )
    add("--k", type=_integer("--k", 1), default=20, help="topn: list length (default 20)")
    add(
        "--test-fraction",
        type=_fraction("--test-fraction", low_open=True),
        default=0.2,
        help="temporal split and topn: share of each user's ratings held out (default 0.2)",
    )
    add("--folds", type=_integer("--folds", 2), default=5, help="number of folds (default 5)")
    add("--seed", type=_integer("--seed", 0), default=0, help="seed for splits and models")
    add(
        "--official-folds",
        action="store_true",
        help="MovieLens: use the official u1..u5 splits (the first --folds of them)",
    )
    add(
        "--cold-fraction",
        type=_fraction("--cold-fraction"),
        default=0.05,
        help="share of works held out entirely (topn: reported in a second pass)",
    )
    add(
        "--validation-fraction",
        type=_fraction("--validation-fraction", low_open=True),
        default=0.3,
        help="share of training ratings the blends learn their weights on",
    )
    add(
        "--min-test-items",
        type=_integer("--min-test-items", 1),
        default=None,
        help="rmse: rank only users with at least this many test items (default 11: more "
        "than the 10 of P@10/R@10)",
    )
    add("--output", default="evaluation-results", help="output directory")
    add("--quiet", action="store_true", help="no progress bar")
    add("--traceback", action="store_true", help="on an error, show the Python traceback")
    return parser  # fmt: skip


def parse_args(argv=None) -> argparse.Namespace:
    """Parse and cross-check the options (a :class:`UsageError` on any problem)."""
    args = build_parser().parse_args(argv)
    if args.task == "topn" and args.official_folds:
        raise UsageError("--official-folds is for --task rmse: drop it for the top-N task")
    if args.split == "temporal" and args.official_folds:
        raise UsageError(
            "--split temporal makes its own split: drop --official-folds (or the temporal split)"
        )
    if args.tags and Path(args.data).is_dir():
        raise UsageError("--tags: a MovieLens folder brings its genres as tags; drop --tags")
    if args.format in ("movielens",) and not Path(args.data).is_dir():
        raise UsageError(f"--format movielens needs a folder, and {args.data} is a file")
    if args.format in ("csv", "mangaki", "fixture") and Path(args.data).is_dir():
        raise UsageError(f"--format {args.format} needs a file, and {args.data} is a folder")
    has_own_tags = Path(args.data).is_dir() or args.format == "fixture" or (
        args.format == "auto" and Path(args.data).suffix == ".json")  # fmt: skip
    if not args.tags and not has_own_tags:
        check_models_have_tags(args.models or [], has_tags=False)
    output = Path(args.output)
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {args.output} is a file: give a folder to write results in")
    return args


def check_models_have_tags(names, has_tags: bool) -> None:
    """A :class:`UsageError` when a model that needs item tags is asked without any."""
    if has_tags:
        return
    for name in names:
        if name in NEEDS_TAGS:
            raise UsageError(
                f"--models {name} needs item tags ({NEEDS_TAGS[name]}): pass --tags "
                "item,tag[,weight] CSV, or drop it from --models"
            )
