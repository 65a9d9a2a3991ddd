"""Which tag head is active: versioned head files under MODEL_DIR/tag_heads and a pointer.

The pointer file is replaced atomically, so a worker reading it sees the old head or the
new one, never half of either. With a shared storage (``FILE_STORAGE``), the head files and
the pointer are published there too, and every host reads the pointer from it: a head
trained on one host is used by all, each fetching the file into its own MODEL_DIR.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from mangaki import storage as shared
from mangaki.memo import VersionedMemo

logger = logging.getLogger(__name__)


def heads_dir() -> Path:
    path = Path(settings.MODEL_DIR) / "tag_heads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pointer() -> Path:
    return heads_dir() / "ACTIVE"


def _shared_pointer() -> str | None:
    """The shared pointer's "name sha256", or None without a shared storage or pointer."""
    storage = shared.model_storage()
    if storage is None or not storage.exists("tag_heads/ACTIVE"):
        return None
    with storage.open("tag_heads/ACTIVE", "rb") as handle:
        return handle.read().decode().strip()


def active_head_path() -> Path | None:
    pointer = _shared_pointer()
    if pointer is not None:
        name, _, sha256 = pointer.partition(" ")
        if name:
            shared.ensure_local(heads_dir() / name, f"tag_heads/{name}", sha256)
    else:
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
    storage = shared.model_storage()
    if storage is not None:
        # The file first, then the pointer: no host ever points at a head it cannot fetch.
        shared.publish(path, f"tag_heads/{path.name}")
        pointer = f"{path.name} {shared.sha256_of(path)}"
        storage.save("tag_heads/ACTIVE", ContentFile(pointer.encode()))
    tmp = _pointer().with_suffix(".tmp")
    tmp.write_text(path.name)
    os.replace(tmp, _pointer())
