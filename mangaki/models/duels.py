from django.conf import settings
from django.db import models


class Duel(models.Model):
    """One answer to "which of these two do you prefer?": ``winner`` over ``loser``, or a
    skip (``skipped``; then the two are only the pair that was offered).

    ``token`` identifies the pair as it was offered: a second post of the same offer (a
    double click, a retried request) finds the first answer instead of counting twice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="duels")  # fmt: skip
    winner = models.ForeignKey("mangaki.Work", on_delete=models.CASCADE, related_name="+")
    loser = models.ForeignKey("mangaki.Work", on_delete=models.CASCADE, related_name="+")
    skipped = models.BooleanField(default=False)
    token = models.UUIDField()
    date = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="one_answer_per_offer"),
            models.CheckConstraint(
                condition=~models.Q(winner=models.F("loser")), name="duel_of_two_works"
            ),
        ]
        indexes = [models.Index(fields=["user", "-date"])]

    def __str__(self) -> str:
        verb = "skipped" if self.skipped else "preferred"
        return f"{self.user} {verb} {self.winner_id} / {self.loser_id}"
