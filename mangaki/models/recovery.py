"""Work that could not be queued, kept in the database until a worker does it."""

from django.db import models


class DirtyWork(models.Model):
    """A work whose counters need a recount that no task is known to be doing: the broker
    refused the task (Redis away) or the task gave up (database away). Beat's recount of
    dirty works (every few minutes) does it and removes the row."""

    work = models.OneToOneField("mangaki.Work", on_delete=models.CASCADE, primary_key=True)
    since = models.DateTimeField(auto_now=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "work waiting for a recount"

    def __str__(self) -> str:
        return f"work {self.work_id} ({self.reason})"
