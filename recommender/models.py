"""Training runs: what was trained, on which data, how well it did, and which is active."""

from django.db import models
from django.db.models import Q


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    REJECTED = "rejected", "Kept, not activated"
    FAILED = "failed", "Failed"


class TrainingRun(models.Model):
    version = models.CharField(max_length=40, unique=True)
    algorithm = models.CharField(max_length=32, default="balse")
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    is_active = models.BooleanField(default=False)
    triggered_by = models.CharField(max_length=32, default="manual")

    model_path = models.CharField(max_length=500, blank=True)
    # sha256 of the model file and of its index, checked before activation, rollback and
    # every load: a damaged file is never served.
    model_sha256 = models.CharField(max_length=64, blank=True)
    index_sha256 = models.CharField(max_length=64, blank=True)
    # Why the model's files could not be loaded, when they could not (shown on the dashboard).
    load_error = models.TextField(blank=True)
    # The Celery task that runs it: a redelivered task recognises its own dead run.
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    n_users = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    n_ratings = models.PositiveIntegerField(default=0)
    n_tags = models.PositiveIntegerField(default=0)
    fingerprint = models.CharField(max_length=64, blank=True)
    snapshot_at = models.DateTimeField(null=True, blank=True)

    # {"rmse": ..., "rmse_little_known": ..., "rmse_cold_start": ..., "mae": ..., "als_rmse": ...}
    metrics = models.JSONField(default=dict)
    # seconds per stage: {"snapshot": ..., "evaluate": ..., "fit": ..., "total": ...}
    durations = models.JSONField(default=dict)
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)  # why it was (not) activated
    error = models.TextField(blank=True)

    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # Two trainings never overlap: a second "running" row cannot be created.
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="one_running_training"
            ),
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.status})"


class ModelEvent(models.Model):
    """A change of the served model: activated after its training, by hand (rolled back or
    forward), or automatically when the active model's files failed. Kept apart from the
    runs so that no activation overwrites a run's own note."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="events")
    previous = models.CharField(max_length=40, blank=True)  # the version it replaced
    note = models.TextField()
    by = models.CharField(max_length=150, blank=True)  # the staff member, when by hand
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.run.version}: {self.note}"
