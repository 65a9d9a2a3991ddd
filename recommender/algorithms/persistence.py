"""Save and load fitted estimators as versioned ``.npz`` files, without pickle.

A file holds the class (``module:QualName``, only importable from ``recommender.``), the
file format version, the class's own ``format_version``, the hyper-parameters as a JSON
string and the learned arrays: every attribute ending in ``_`` that is a numpy array, a
number, a scipy sparse matrix (stored as its CSR parts) or a nested estimator (stored under
``<name>/``). Loading uses ``allow_pickle=False`` and refuses unknown versions.

Example::

    >>> save_model(model, "als.npz")  # doctest: +SKIP
    >>> load_model("als.npz").predict([0], [1])  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import scipy.sparse as sp
from numpy.lib import format as npformat

from recommender.algorithms.base import Recommender

FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
ALLOWED_PREFIX = "recommender."
_META = "__meta__"


def _class_path(obj) -> str:
    cls = type(obj)
    return f"{cls.__module__}:{cls.__qualname__}"


def _import_class(path: str) -> type:
    module_name, _, qualname = path.partition(":")
    if not module_name.startswith(ALLOWED_PREFIX):
        raise ValueError(f"refusing to load class {path!r}: not under {ALLOWED_PREFIX!r}")
    cls = getattr(importlib.import_module(module_name), qualname, None)
    if not (isinstance(cls, type) and issubclass(cls, Recommender)):
        raise ValueError(f"{path!r} is not a Recommender class")
    return cls


def _encode_param(value):
    # Hyper-parameters are JSON; a nested estimator template becomes a tagged dict.
    if isinstance(value, Recommender):
        params = {k: _encode_param(v) for k, v in value.get_params(deep=False).items()}
        return {"__estimator__": _class_path(value), "params": params}
    if isinstance(value, tuple | list):
        return [_encode_param(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode_param(value):
    if isinstance(value, dict) and "__estimator__" in value:
        params = {k: _decode_param(v) for k, v in value["params"].items()}
        return _import_class(value["__estimator__"])(**params)
    if isinstance(value, list):
        return [_decode_param(v) for v in value]
    return value


def _learned(model) -> dict:
    return {
        name: value
        for name, value in vars(model).items()
        if name.endswith("_") and not name.startswith("_")
    }


def _flatten(model: Recommender, prefix: str, arrays: dict, meta: dict, stored: dict) -> None:
    kinds = {}
    for name, value in _learned(model).items():
        key = prefix + name
        if (sp.issparse(value) or isinstance(value, np.ndarray)) and id(value) in stored:
            # The same object learned twice (BALSE and its ALS keep one ratings matrix):
            # written once, the second is a reference to the first.
            kinds[name] = "alias:" + stored[id(value)]
            continue
        if sp.issparse(value) or isinstance(value, np.ndarray):
            stored[id(value)] = key
        if isinstance(value, Recommender):
            kinds[name] = "estimator"
            _flatten(value, key + "/", arrays, meta, stored)
        elif sp.issparse(value):
            kinds[name] = "csr"
            csr = sp.csr_matrix(value)
            arrays[key + "/data"] = csr.data
            arrays[key + "/indices"] = csr.indices
            arrays[key + "/indptr"] = csr.indptr
            arrays[key + "/shape"] = np.asarray(csr.shape, dtype=np.int64)
        elif isinstance(value, np.ndarray | np.generic | int | float | bool):
            kinds[name] = "array"
            arrays[key] = np.asarray(value)
            if arrays[key].dtype == object:
                raise TypeError(f"cannot save object array {key!r} without pickle")
        else:
            raise TypeError(f"cannot save learned attribute {key!r} of type {type(value)}")
    meta[prefix] = {
        "class": _class_path(model),
        "class_version": getattr(model, "format_version", 1),
        "params": {k: _encode_param(v) for k, v in model.get_params(deep=False).items()},
        "kinds": kinds,
    }


def _build(prefix: str, arrays, meta: dict, built: dict) -> Recommender:
    entry = meta[prefix]
    cls = _import_class(entry["class"])
    # A class bumps format_version when its learned arrays change meaning.
    saved, current = entry.get("class_version", 1), getattr(cls, "format_version", 1)
    if saved != current:
        raise ValueError(
            f"{entry['class']} was saved with class format version {saved!r}; this code "
            f"reads version {current!r}. Retrain the model."
        )
    model = cls(**{k: _decode_param(v) for k, v in entry["params"].items()})
    for name, kind in entry["kinds"].items():
        key = prefix + name
        if kind.startswith("alias:"):
            value = built[kind.removeprefix("alias:")]
        elif kind == "estimator":
            value = _build(key + "/", arrays, meta, built)
        elif kind == "csr":
            shape = tuple(int(x) for x in arrays[key + "/shape"])
            value = sp.csr_matrix(
                (arrays[key + "/data"], arrays[key + "/indices"], arrays[key + "/indptr"]),
                shape=shape,
            )
        else:
            value = arrays[key]
            # Scalars went in as 0-d arrays; hand back Python numbers.
            value = value.item() if value.ndim == 0 else value
        built[key] = value
        setattr(model, name, value)
    return model


def save_model(model: Recommender, path: str | os.PathLike) -> Path:
    """Write a fitted estimator to ``path`` (``.npz``); returns the path written."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, dict] = {}
    _flatten(model, "", arrays, meta, {})
    header = {"format_version": FORMAT_VERSION, "models": meta}
    arrays[_META] = np.asarray(json.dumps(header))
    path = Path(path)
    with atomic_write(path) as handle:
        np.savez(handle, allow_pickle=False, **arrays)
    return path


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write that appears at ``path`` whole or not at all: written under
    a temporary name in the same folder, then renamed over ``path`` (``os.replace``), so a
    reader (another process loading the model) never sees half a file, and a failed write
    leaves the previous file in place.

    Example::

        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "x.bin"
        >>> with atomic_write(target) as handle:
        ...     _ = handle.write(b"ok")
        >>> target.read_bytes()
        b'ok'
    """
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


#: Arrays at least this large are memory-mapped by ``load_model(..., mmap=True)``.
MMAP_FROM_BYTES = 16 * 1024 * 1024


def _mapped_members(path: Path) -> dict[str, np.ndarray]:
    """Read-only memory maps of the large uncompressed arrays of an ``.npz`` file.

    ``np.savez`` stores each array as an uncompressed ``.npy`` member of a zip file, so
    its bytes lie contiguously in the file: mapping them lets every process serving the
    same model share one copy in the page cache instead of reading its own.
    """
    mapped: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED or info.file_size < MMAP_FROM_BYTES:
                continue
            raw.seek(info.header_offset)
            local = raw.read(30)
            if local[:4] != b"PK\x03\x04":
                continue
            name_length, extra_length = struct.unpack("<HH", local[26:30])
            start = info.header_offset + 30 + name_length + extra_length
            raw.seek(start)
            version = npformat.read_magic(raw)
            if version == (1, 0):
                shape, fortran, dtype = npformat.read_array_header_1_0(raw)
            elif version == (2, 0):
                shape, fortran, dtype = npformat.read_array_header_2_0(raw)
            else:
                continue
            if dtype.hasobject:
                raise ValueError(f"{path}: {info.filename} holds objects; refusing to load")
            mapped[info.filename.removesuffix(".npy")] = np.memmap(
                path, dtype=dtype, mode="r", offset=raw.tell(), shape=shape,
                order="F" if fortran else "C",
            )  # fmt: skip
    return mapped


def load_model(path: str | os.PathLike, mmap: bool = False) -> Recommender:
    """Read an estimator written by :func:`save_model` (no pickle involved).

    With ``mmap``, arrays of at least ``MMAP_FROM_BYTES`` are memory-mapped read-only
    rather than read (a large item-to-item matrix is then shared between processes).
    """
    path = Path(path)
    mapped = _mapped_members(path) if mmap else {}
    with np.load(path, allow_pickle=False) as archive:
        if _META not in archive.files:
            raise ValueError(f"{path} is not a Mangaki model file (no {_META} entry)")
        header = json.loads(str(archive[_META]))
        version = header.get("format_version")
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(
                f"{path} has model format version {version!r}; this code reads "
                f"{SUPPORTED_VERSIONS}. Retrain the model or upgrade the code."
            )
        arrays = {
            name: mapped[name] if name in mapped else archive[name]
            for name in archive.files
            if name != _META
        }
    return _build("", arrays, header["models"], {})
