"""Reading rating and tag CSV files with errors a person can act on.

Every problem is a :class:`DataError` naming the file, the line (1-based, as an editor
shows it) and what to do, in one line. Blank lines and lines starting with ``#`` are
skipped. A first line is a header only when it names its columns (its rating column says
``rating``, ``score``, ``choice``...): a first line with a bad rating is an error, never
silently dropped.

Example::

    >>> DataError("r.csv", 3, "rating 'x' is not a number").args[0]
    "r.csv line 3: rating 'x' is not a number"
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np

#: Names a header's rating column may carry (compared lower-cased).
RATING_HEADERS = frozenset(
    {"rating", "ratings", "score", "value", "stars", "grade", "note", "vote", "choice"}
)
COLUMNS = "user,item,rating[,timestamp]"


class DataError(ValueError):
    """A problem in an input file: ``str()`` is one line with the file and line number."""

    def __init__(self, path, line: int | None, message: str):
        where = f"{path} line {line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")


def read_rows(path) -> list[tuple[int, list[str]]]:
    """``(line number, cells)`` of every non-blank, non-comment line."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [
                (number, [cell.strip() for cell in row])
                for number, row in enumerate(csv.reader(handle), start=1)
                if row and any(cell.strip() for cell in row) and not row[0].startswith("#")
            ]
    except UnicodeDecodeError as error:
        raise DataError(path, None, f"not UTF-8 text ({error.reason}); save it as UTF-8") from error
    except csv.Error as error:
        raise DataError(path, None, f"not a readable CSV file ({error})") from error
    return rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_shape(path, rows, n_required: int, columns: str) -> None:
    for number, cells in rows:
        if len(cells) >= n_required:
            continue
        text = ",".join(cells)
        for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if separator in text:
                raise DataError(
                    path, number, f"the columns are separated by {name}; expected commas "
                    f"({columns}): replace the {name} with commas",
                )  # fmt: skip
        raise DataError(
            path, number, f"{len(cells)} column(s), expected at least {n_required} "
            f"({columns}): fix or remove the line",
        )  # fmt: skip


def rating_rows(path, choice: bool = False):
    """The data rows of a ratings file (header dropped) and its three first columns,
    validated: at least 3 columns on every line, a numeric finite rating (or, with
    ``choice``, any text: the caller checks it)."""
    rows = read_rows(path)
    if not rows:
        raise DataError(path, None, f"no ratings: the file is empty (expected {COLUMNS} lines)")
    first_number, first = rows[0]
    if len(first) >= 3 and first[2].lower() in RATING_HEADERS:
        rows = rows[1:]
        if not rows:
            raise DataError(
                path, None, f"no ratings after the header on line {first_number}: add "
                f"{COLUMNS} lines",
            )  # fmt: skip
    _check_shape(path, rows, 3, COLUMNS)
    values: list = []
    for number, cells in rows:
        text = cells[2]
        if choice:
            values.append(text.lower())
            continue
        try:
            value = float(text)
        except ValueError:
            hint = " (a header line must call the third column 'rating')" if number == 1 else ""
            raise DataError(
                path, number, f"rating {text!r} is not a number{hint}: fix or remove the line"
            ) from None
        if not np.isfinite(value):
            raise DataError(path, number, f"rating {text!r} is not a finite number")
        values.append(value)
    users = np.array([cells[0] for _, cells in rows])
    items = np.array([cells[1] for _, cells in rows])
    for column, name in ((users, "user"), (items, "item")):
        empty = np.flatnonzero(column == "")
        if len(empty):
            raise DataError(path, rows[empty[0]][0], f"empty {name} id: fix or remove the line")
    return rows, users, items, values


def timestamps(rows) -> tuple[np.ndarray | None, str | None]:
    """The fourth column as seconds (a number or an ISO date) when every row has one,
    else ``(None, why)`` naming the first line without a usable one."""
    if not rows:
        return None, "there are no ratings"
    out = np.empty(len(rows))
    for index, (number, cells) in enumerate(rows):
        text = cells[3] if len(cells) > 3 else ""
        if not text:
            return None, f"line {number} has no timestamp (4th column)"
        try:
            out[index] = float(text)
        except ValueError:
            try:
                out[index] = datetime.fromisoformat(text).timestamp()
            except ValueError:
                return None, f"line {number}: timestamp {text!r} is neither a number nor a date"
    return out, None


def tag_rows(path) -> tuple[list, list, list]:
    """(items, tags, weights) of an ``item,tag[,weight]`` file, header dropped, weights
    checked to be numbers in [0, 1]."""
    rows = read_rows(path)
    if rows:
        first = rows[0][1]
        weight_header = len(first) > 2 and not _is_number(first[2])
        if weight_header or first[0].lower() in ("item", "work", "item_id", "work_id"):
            rows = rows[1:]
    _check_shape(path, rows, 2, "item,tag[,weight]")
    weights = []
    for number, cells in rows:
        text = cells[2] if len(cells) > 2 and cells[2] else "1"
        try:
            weight = float(text)
        except ValueError:
            weight = float("nan")
        if not 0.0 <= weight <= 1.0:
            raise DataError(
                path, number, f"tag weight {text!r} must be a number in [0, 1]: fix the weight"
            )
        weights.append(weight)
    return [cells[0] for _, cells in rows], [cells[1] for _, cells in rows], weights
