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

#: What a predicted rating is shown as: the seen choice it is closest to, with a label
#: people read at once ("likely favourite" rather than "predicted 2.37").
PREDICTION_LABELS = {
    Choice.FAVORITE: _("likely a favourite"),
    Choice.LIKE: _("you'll probably like it"),
    Choice.NEUTRAL: _("probably so-so for you"),
    Choice.DISLIKE: _("probably not for you"),
}


def predicted_choice(score: float) -> str:
    """The seen choice whose value is closest to a predicted rating (ties: the higher).

    Example::

        >>> predicted_choice(2.37), predicted_choice(3.1), predicted_choice(-0.9)
        ('like', 'favorite', 'neutral')
    """
    best = min(SEEN_CHOICES, key=lambda c: (abs(RATING_VALUES[c] - score), -RATING_VALUES[c]))
    return str(best.value)
