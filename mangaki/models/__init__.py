from .catalog import Category, Tag, TaggedWork, TagSource, Work, WorkTitle, WorkType
from .imports import ListImport
from .profile import Profile
from .rating import Rating
from .tokens import ApiToken

__all__ = [
    "ApiToken",
    "Category",
    "ListImport",
    "Profile",
    "Rating",
    "Tag",
    "TagSource",
    "TaggedWork",
    "Work",
    "WorkTitle",
    "WorkType",
]
