from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from mangaki.catalog_import import FORMATS, import_catalog


class Command(BaseCommand):
    help = (
        "Import a catalogue: the Kaggle anime CSV, a manami anime-offline-database JSON, "
        "AniList media JSON (manga and anime), the manga CSV (docs/imports.md), or an "
        "original Mangaki fixture. Idempotent: re-running updates, never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--format", choices=sorted(FORMATS), help="default: detected from the file"
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, path: Path, format=None, batch_size=500, no_progress=False, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        with tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=path.name,
            disable=no_progress or options["verbosity"] == 0,
        ) as bar:
            try:
                report = import_catalog(path, format, batch_size=batch_size, on_progress=bar.update)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        for problem in report.problems:
            self.stderr.write(f"{path.name} {problem}")
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {report.summary()}"))
