from django.contrib import admin

from recommender.models import TrainingRun


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "status",
        "is_active",
        "triggered_by",
        "n_ratings",
        "rmse",
        "started_at",
    ]
    list_filter = ["status", "is_active", "triggered_by"]
    readonly_fields = [f.name for f in TrainingRun._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description="RMSE")
    def rmse(self, run):
        value = run.metrics.get("rmse")
        return f"{value:.4f}" if value is not None else "—"
