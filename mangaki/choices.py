"""The six rating choices and their numeric values: the one place they are defined.

Values from the BALSE paper: favorite 4, like 2, neutral 0.1, dislike -2 (watched);
willsee 0.5, wontsee -0.5 (not watched).

Example::

    >>> RATING_VALUES["like"]
    2.0
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Choice(models.TextChoices):
    FAVORITE = "favorite", _("Favorite")
    LIKE = "like", _("Like")
    NEUTRAL = "neutral", _("Neutral")
    DISLIKE = "dislike", _("Dislike")
    WILLSEE = "willsee", _("Want to see")
    WONTSEE = "wontsee", _("Don't want to see")


RATING_VALUES: dict[str, float] = {
    Choice.FAVORITE: 4.0,
    Choice.LIKE: 2.0,
    Choice.NEUTRAL: 0.1,
    Choice.DISLIKE: -2.0,
    Choice.WILLSEE: 0.5,
    Choice.WONTSEE: -0.5,
}

#: Choices that mean the person has watched (or read) the work.
SEEN_CHOICES = (Choice.FAVORITE, Choice.LIKE, Choice.NEUTRAL, Choice.DISLIKE)

#: Keyboard shortcuts of the rating widget, in display order.
SHORTCUTS = {
    Choice.FAVORITE: "f",
    Choice.LIKE: "l",
    Choice.NEUTRAL: "n",
    Choice.DISLIKE: "d",
    Choice.WILLSEE: "w",
    Choice.WONTSEE: "x",
}
