"""A list import (MyAnimeList XML, AniList JSON): parsed entries, options, progress, result."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ListImport(models.Model):
    class Source(models.TextChoices):
        MAL = "mal", "MyAnimeList"
        ANILIST = "anilist", "AniList"

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="list_imports"
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PREVIEW)
    # Parsed entries (mangaki.lists.parsers.Entry as dicts): the file itself is not kept.
    entries = models.JSONField(default=list)
    # The user's adjusted mapping (mangaki.lists.mapping.Mapping as a dict) and overwrite flag.
    options = models.JSONField(default=dict)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} import of {self.user} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
