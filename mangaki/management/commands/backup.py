"""``manage.py backup``: write a backup folder now; ``--verify`` or ``--restore`` one."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mangaki.services import backup


class Command(BaseCommand):
    help = (
        "Back up the database, model files and posters into BACKUP_DIR (keeping BACKUP_KEEP "
        "backups), check a backup, or restore one into a stopped site."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", type=int, default=None, help="backups to keep")
        parser.add_argument(
            "--verify", dest="check", metavar="FOLDER", help="check a backup's checksums"
        )
        parser.add_argument("--restore", dest="source", metavar="FOLDER", help="restore it")
        parser.add_argument(
            "--yes", action="store_true", help="confirm the restore replaces the current data"
        )

    def handle(self, *args, keep=None, check=None, source=None, yes=False, **options):
        try:
            if check:
                manifest = backup.verify(Path(check))
                self.stdout.write(f"{check}: complete, {len(manifest['files'])} files intact")
            elif source:
                if not yes:
                    raise CommandError(
                        "a restore replaces the database, models and posters: stop the web, "
                        "worker and beat processes, then run again with --yes"
                    )
                backup.restore(Path(source))
                self.stdout.write(self.style.SUCCESS(f"restored from {source}"))
            else:
                folder = backup.make_backup(keep)
                self.stdout.write(self.style.SUCCESS(f"backup written to {folder}"))
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
