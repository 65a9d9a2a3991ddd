from django.core.management.base import BaseCommand, CommandError

from recommender.models import TrainingRun
from recommender.registry import rollback


class Command(BaseCommand):
    help = "Reactivate an earlier model: the one before the active one, or --model VERSION."

    def add_arguments(self, parser):
        parser.add_argument("--model", dest="model_version", help="the version to reactivate")
        parser.add_argument("--list", action="store_true", help="list the trained models")

    def handle(self, *args, model_version=None, **options):
        if options["list"]:
            for run in TrainingRun.objects.exclude(model_path=""):
                mark = "*" if run.is_active else " "
                self.stdout.write(
                    f"{mark} {run.version} {run.status} rmse={run.metrics.get('rmse')}"
                )
            return
        try:
            run = rollback(model_version)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{run.version} is active again"))
