from .catalog import Category, Tag, TaggedWork, TagSource, Work, WorkTitle, WorkType
from .profile import Profile
from .rating import Rating

__all__ = [
    "Category",
    "Profile",
    "Rating",
    "Tag",
    "TagSource",
    "TaggedWork",
    "Work",
    "WorkTitle",
    "WorkType",
]
