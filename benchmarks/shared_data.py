"""Where the real data for tests and benchmarks lives: one place, one variable.

``MANGAKI_SHARED_DATA`` (default: ``shared/data`` beside the checkout) holds MovieLens
100K, the real posters, the original site's fixture and list exports (its README says what
may be copied: very little). Nothing in the product reads it. Tests skip, with the reason,
or fall back to generated data when it is absent; benchmarks say what is missing.

Example::

    >>> data_path("movielens", "ml-100k").name
    'ml-100k'
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MANGAKI_SHARED_DATA") or ROOT.parent / "shared" / "data")


def data_path(*parts: str) -> Path:
    """A path under the shared data folder (it may not exist)."""
    return SHARED_DATA.joinpath(*parts)


def missing(*parts: str) -> str | None:
    """Why ``data_path(*parts)`` cannot be used (a skip reason), or None if it exists."""
    path = data_path(*parts)
    if path.exists():
        return None
    return f"shared data not found: {path} (set MANGAKI_SHARED_DATA to its folder)"
