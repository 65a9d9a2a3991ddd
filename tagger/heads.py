"""Which tag head is active: versioned head files under MODEL_DIR/tag_heads and a pointer.

The pointer file is replaced atomically, so a worker reading it sees the old head or the
new one, never half of either.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from mangaki.memo import VersionedMemo

logger = logging.getLogger(__name__)


def heads_dir() -> Path:
    path = Path(settings.MODEL_DIR) / "tag_heads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pointer() -> Path:
    return heads_dir() / "ACTIVE"


def active_head_path() -> Path | None:
    try:
        name = _pointer().read_text().strip()
    except FileNotFoundError:
        return None
    path = heads_dir() / name
    return path if name and path.is_file() else None


# The active head, keyed by its file's path and mtime.
_heads: VersionedMemo = VersionedMemo("tagger.heads", keep=1)


def _load(path: str, mtime: float):
    from tagger.vision.head import TagHead

    return _heads.get_or_compute((path, mtime), lambda: TagHead.load(path))


def active_head():
    """The active TagHead, or None before the first training (tags then come from faces)."""
    path = active_head_path()
    if path is None:
        return None
    try:
        return _load(str(path), path.stat().st_mtime)
    except (OSError, ValueError) as exc:
        logger.error("The active tag head %s cannot be loaded: %s", path, exc)
        return None


def new_head_path() -> Path:
    return heads_dir() / f"head-{timezone.now():%Y%m%d-%H%M%S-%f}.npz"


def activate(path: Path) -> None:
    tmp = _pointer().with_suffix(".tmp")
    tmp.write_text(path.name)
    os.replace(tmp, _pointer())
