from django.core.management.base import BaseCommand, CommandError

from mangaki.storage import share_local_files


class Command(BaseCommand):
    help = (
        "Copy posters, model files and the active tag head from this host's MEDIA_ROOT and "
        "MODEL_DIR into the shared storage (FILE_STORAGE=database or s3). Safe to run again."
    )

    def handle(self, *args, **options):
        try:
            counts = share_local_files()
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
