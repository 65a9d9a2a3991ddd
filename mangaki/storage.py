"""Files every host can read: Django storages for posters and model files.

``FILE_STORAGE`` (docs/configuration.md) picks where they live: ``local`` (MEDIA_ROOT and
MODEL_DIR on this host's disk, the embedded default), ``database`` (:class:`DatabaseStorage`,
so PostgreSQL alone serves several hosts) or ``s3`` (django-storages). Posters use Django's
``default`` storage; model bundles and tag heads use the ``models`` storage, which exists
only when files are shared: each host then keeps a local copy under its own MODEL_DIR
(the recommender memory-maps it), published after training and fetched on first use.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.encoding import filepath_to_uri

logger = logging.getLogger(__name__)
CHUNK_BYTES = 4 * 1024 * 1024
# Reads are spooled to memory up to this size, then to a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


class ChecksumMismatch(OSError):
    """A shared file's content differs from the checksum recorded when it was written."""


@deconstructible(path="mangaki.storage.DatabaseStorage")
class DatabaseStorage(Storage):
    """Files as rows of :class:`mangaki.models.StoredFile` and its chunks.

    ``location`` prefixes every name, so posters ("media") and model files ("models")
    share one table without seeing each other. With ``overwrite`` a save replaces the file
    of that name (model files, the tag-head pointer); without it a new name is chosen, as
    FileSystemStorage does, so a replaced poster gets a new URL and caches stay right.
    A replacement is one transaction: readers see the old content or the new, never a mix.
    """

    def __init__(self, location: str = "media", base_url: str | None = None, overwrite=False):
        self.location = location.strip("/")
        self._base_url = base_url
        self.overwrite = overwrite

    @property
    def base_url(self) -> str:
        url = self._base_url if self._base_url is not None else settings.MEDIA_URL
        return url if url.endswith("/") else url + "/"

    def _key(self, name: str) -> str:
        name = str(name).replace("\\", "/").lstrip("/")
        if not name or any(part in ("", ".", "..") for part in name.split("/")):
            raise ValueError(f"{name!r} is not a valid stored file name")
        return f"{self.location}/{name}"

    def _row(self, name: str):
        from mangaki.models import StoredFile

        return StoredFile.objects.filter(name=self._key(name)).first()

    def stat(self, name: str):
        """The file's row (size, sha256, modified), or None."""
        return self._row(name)

    # -- reading -----------------------------------------------------------------------

    def _open(self, name: str, mode: str = "rb") -> File:
        from mangaki.models import StoredChunk

        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("stored files are written with save(), not opened for writing")
        # One statement reads every chunk with the file's checksum: a consistent snapshot
        # even if the file is replaced meanwhile.
        rows = (
            StoredChunk.objects.filter(file__name=self._key(name))
            .order_by("index")
            .values_list("data", "file__size", "file__sha256")
        )
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned)
        digest = hashlib.sha256()
        meta: tuple[int, str] | None = None
        for data, *file_meta in rows.iterator(chunk_size=2):
            meta = (file_meta[0], file_meta[1])
            digest.update(data)
            spool.write(data)
        if meta is None:
            spool.close()
            row = self._row(name)
            if row is None or row.size:
                raise FileNotFoundError(f"no stored file named {name!r}")
            return File(tempfile.SpooledTemporaryFile(), name=name)  # an empty file
        size, expected = meta
        if spool.tell() != size or (expected and digest.hexdigest() != expected):
            spool.close()
            raise ChecksumMismatch(f"the stored file {name!r} is incomplete or damaged")
        spool.seek(0)
        return File(spool, name=name)

    def exists(self, name: str) -> bool:
        from mangaki.models import StoredFile

        return StoredFile.objects.filter(name=self._key(name)).exists()

    def size(self, name: str) -> int:
        row = self._row(name)
        if row is None:
            raise FileNotFoundError(f"no stored file named {name!r}")
        return row.size

    def get_modified_time(self, name: str) -> datetime:
        row = self._row(name)
        if row is None:
            raise FileNotFoundError(f"no stored file named {name!r}")
        return row.modified

    get_created_time = get_modified_time
    get_accessed_time = get_modified_time

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        from mangaki.models import StoredFile

        prefix = f"{self.location}/{path.strip('/')}/".replace("//", "/")
        directories, files = set(), []
        for full in StoredFile.objects.filter(name__startswith=prefix).values_list(
            "name", flat=True
        ):
            rest = full[len(prefix) :]
            head, slash, _ = rest.partition("/")
            if slash:
                directories.add(head)
            else:
                files.append(rest)
        return sorted(directories), sorted(files)

    def url(self, name: str) -> str:
        return urljoin(self.base_url, filepath_to_uri(str(name).lstrip("/")))

    def path(self, name: str) -> str:
        raise NotImplementedError("stored files have no path on this host's disk")

    # -- writing -----------------------------------------------------------------------

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        if self.overwrite:
            self._key(name)  # validates
            return name
        return super().get_available_name(name, max_length)

    def _save(self, name: str, content) -> str:
        from mangaki.models import StoredChunk, StoredFile

        for _ in range(5):
            try:
                with transaction.atomic():
                    if self.overwrite:
                        StoredFile.objects.filter(name=self._key(name)).delete()
                    row = StoredFile.objects.create(name=self._key(name), modified=timezone.now())
                    digest, size = hashlib.sha256(), 0
                    if hasattr(content, "seek") and content.seekable():
                        content.seek(0)
                    for index, data in enumerate(content.chunks(CHUNK_BYTES)):
                        data = data.encode() if isinstance(data, str) else bytes(data)
                        digest.update(data)
                        size += len(data)
                        StoredChunk.objects.create(file=row, index=index, data=data)
                    row.size, row.sha256 = size, digest.hexdigest()
                    row.save(update_fields=["size", "sha256"])
                return name
            except IntegrityError:
                # Another host saved the same name at the same moment.
                if not self.overwrite:
                    name = self.get_available_name(name)
        raise OSError(f"the stored file {name!r} could not be written (concurrent writes)")

    def delete(self, name: str) -> None:
        from mangaki.models import StoredFile

        StoredFile.objects.filter(name=self._key(name)).delete()


# -- model files shared between hosts ---------------------------------------------------


def model_storage() -> Storage | None:
    """Where model bundles and tag heads are published, or None when MODEL_DIR is the only
    copy (``FILE_STORAGE=local``: one host, or a shared volume)."""
    if "models" not in settings.STORAGES:
        return None
    return storages["models"]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def publish(path: Path, name: str) -> None:
    """Copy a local model file to the shared storage under ``name`` (replacing it).
    Failing raises: a model other hosts cannot fetch must not be activated."""
    storage = model_storage()
    if storage is None:
        return
    with open(path, "rb") as handle:
        saved = storage.save(name, File(handle, name=Path(path).name))
    if saved != name:
        raise OSError(f"the shared storage saved {name!r} as {saved!r}; it must overwrite")


def fetch(name: str, path: Path, sha256: str = "") -> None:
    """Copy the shared file ``name`` to ``path`` atomically (a temporary name in the same
    folder, then a rename), checking ``sha256`` first when given.

    FileNotFoundError if the storage has no such file; :class:`ChecksumMismatch` if its
    content differs from ``sha256`` (the local file is then left as it was)."""
    storage = model_storage()
    if storage is None:
        raise FileNotFoundError(f"{name!r}: no shared storage is configured")
    if not storage.exists(name):
        raise FileNotFoundError(f"the shared storage has no file {name!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    digest = hashlib.sha256()
    try:
        with storage.open(name, "rb") as source, open(partial, "wb") as target:
            for block in source.chunks(CHUNK_BYTES):
                digest.update(block)
                target.write(block)
        if sha256 and digest.hexdigest() != sha256:
            raise ChecksumMismatch(
                f"the shared copy of {name!r} differs from the checksum recorded at training"
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def ensure_local(path: Path, name: str, sha256: str = "") -> bool:
    """Make sure ``path`` holds the shared file ``name`` (with ``sha256`` when given):
    fetched when missing or different. True if the local copy was (re)placed.

    Without a shared storage, or when the shared copy is missing or damaged, the local
    file is left alone and the caller's own checks report it."""
    if model_storage() is None:
        return False
    path = Path(path)
    if path.is_file() and (not sha256 or sha256_of(path) == sha256):
        return False
    try:
        fetch(name, path, sha256)
    except (FileNotFoundError, ChecksumMismatch) as error:
        logger.error("Shared file %s cannot be fetched: %s", name, error)
        return False
    except OSError as error:
        # This host's disk (full, read-only) or the storage itself: the caller's checks
        # report the file missing, as they would for a damaged copy.
        logger.error("Shared file %s could not be copied to %s: %s", name, path, error)
        return False
    return True


def share_local_files() -> dict[str, int]:
    """Copy what a one-host site kept on its disk into the shared storages (switching from
    ``FILE_STORAGE=local``): posters from MEDIA_ROOT, every model version's files from
    MODEL_DIR, and the active tag head. Files already shared are left alone, so it is safe
    to run again. Returns counts: shared, already there, missing on this disk."""
    from django.core.files.storage import default_storage

    from mangaki.models import Work
    from recommender import model_files
    from recommender.models import TrainingRun
    from tagger import heads

    storage = model_storage()
    if storage is None:
        raise ValueError("FILE_STORAGE is local: there is no shared storage to copy into")
    counts = {"shared": 0, "already shared": 0, "missing here": 0}

    def share(target: Storage, name: str, local: Path) -> None:
        if target.exists(name):
            counts["already shared"] += 1
        elif not local.is_file():
            counts["missing here"] += 1
        else:
            with open(local, "rb") as handle:
                target.save(name, File(handle, name=local.name))
            counts["shared"] += 1

    media_root = Path(settings.MEDIA_ROOT)
    for name in Work.objects.exclude(poster="").values_list("poster", flat=True).iterator():
        share(default_storage, name, media_root / name)
    for recorded in TrainingRun.objects.exclude(model_path="").values_list("model_path", flat=True):
        local = Path(recorded)
        if not local.is_file():  # recorded on another host or before MODEL_DIR moved
            local = model_files.model_dir() / local.name
        for path in (local, model_files.index_path(local)):
            share(storage, f"recommender/{path.name}", path)
    pointer = heads.heads_dir() / "ACTIVE"
    if pointer.is_file() and not storage.exists("tag_heads/ACTIVE"):
        head = heads.heads_dir() / pointer.read_text().strip()
        if head.is_file():
            heads.activate(head)
            counts["shared"] += 1
        else:
            counts["missing here"] += 1
    return counts
