from django.core.management.base import BaseCommand, CommandError

from recommender.pruning import keep_count, prune_models, tidy_local_copies


class Command(BaseCommand):
    help = (
        "Delete the files of old model versions (here and in the shared storage), keeping the "
        "active one, the one a rollback would pick and the --keep newest (MODEL_KEEP); then "
        "this host's copies of versions pruned elsewhere."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", type=int, default=None, help="newest versions kept")
        parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")

    def handle(self, *args, keep=None, dry_run=False, **options):
        keep = keep_count() if keep is None else keep
        if keep < 1:
            raise CommandError("--keep must be at least 1")
        pruned = prune_models(keep, dry_run=dry_run)
        for version in pruned:
            done = "would lose its files" if dry_run else "files deleted"
            self.stdout.write(f"{version}: {done}")
        if dry_run:
            return
        removed = tidy_local_copies()
        for path in removed:
            self.stdout.write(f"{path.name}: this host's copy deleted")
        if not pruned and not removed:
            self.stdout.write(f"nothing to prune (keeping {keep} newest)")
