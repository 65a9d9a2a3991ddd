"""Catalogue importers: each format is parsed into :class:`WorkRecord` items and written
by one shared, batched, idempotent upsert (:mod:`mangaki.catalog_import.writer`)."""

from .records import ImportProblem, ImportReport, WorkRecord
from .run import FORMATS, detect_format, import_catalog

__all__ = [
    "FORMATS",
    "ImportProblem",
    "ImportReport",
    "WorkRecord",
    "detect_format",
    "import_catalog",
]
