from django.conf import settings
from django.db import models

from mangaki.choices import RATING_VALUES, Choice


class Rating(models.Model):
    """One person's opinion of one work; changed in place, never duplicated."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings"
    )
    work = models.ForeignKey("mangaki.Work", on_delete=models.CASCADE, related_name="ratings")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    date = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "work"], name="one_rating_per_user_and_work")
        ]
        indexes = [models.Index(fields=["work", "choice"]), models.Index(fields=["user", "-date"])]

    def __str__(self) -> str:
        return f"{self.user} {self.choice} {self.work}"

    @property
    def value(self) -> float:
        return RATING_VALUES[self.choice]
