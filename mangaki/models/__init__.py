from .catalog import Category, Tag, TaggedWork, TagSource, Work, WorkTitle, WorkType
from .duels import Duel
from .imports import ListImport
from .profile import Profile
from .rating import Rating
from .recovery import DirtyWork
from .storage import StoredChunk, StoredFile
from .tokens import ApiToken

__all__ = [
    "ApiToken",
    "Category",
    "DirtyWork",
    "Duel",
    "ListImport",
    "Profile",
    "Rating",
    "StoredChunk",
    "StoredFile",
    "Tag",
    "TagSource",
    "TaggedWork",
    "Work",
    "WorkTitle",
    "WorkType",
]
