from .catalog import Category, Tag, TaggedWork, TagSource, Work, WorkTitle, WorkType
from .profile import Profile
from .rating import Rating
from .tokens import ApiToken

__all__ = [
    "ApiToken",
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
