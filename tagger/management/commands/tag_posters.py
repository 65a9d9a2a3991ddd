from django.core.management.base import BaseCommand
from tqdm import tqdm

from mangaki.models import Work
from mangaki.models.catalog import PosterStatus
from tagger.service import backlog


class Command(BaseCommand):
    help = (
        "Tag the posters waiting in the backlog, in batches, with a progress bar. Resumable: "
        "each batch is stored as it finishes, so an interrupted run continues where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="re-tag every work that has a poster"
        )
        parser.add_argument("--errors", action="store_true", help="retry posters that were refused")
        parser.add_argument("--batch-size", type=int, default=32)
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument(
            "--queue", action="store_true", help="send batches to the tagging queue"
        )

    def handle(self, *args, **options):
        from tagger.service import request_tagging, tag_works
        from tagger.vision import runtime

        runtime.configure(concurrency=1)  # this process alone tags: all cores (docs/tagger.md)

        if options["all"] or options["errors"]:
            works = Work.objects.exclude(poster="")
            if not options["all"]:
                works = works.filter(poster_status=PosterStatus.ERROR)
            # Into the backlog (queued now with --queue; tagged below otherwise).
            ids = list(works.order_by("pk").values_list("pk", flat=True)[: options["limit"]])
            if options["queue"]:
                request_tagging(ids)
                self.stdout.write(f"{len(ids)} posters queued for tagging")
                return
            works.update(poster_status=PosterStatus.PENDING)
        ids = list(backlog().order_by("pk").values_list("pk", flat=True)[: options["limit"]])
        size = max(1, options["batch_size"])
        totals = {"tagged": 0, "refused": 0, "skipped": 0}
        with tqdm(total=len(ids), unit="poster", disable=options["verbosity"] == 0) as bar:
            for start in range(0, len(ids), size):
                batch = ids[start : start + size]
                if options["queue"]:
                    request_tagging(batch)
                else:
                    for key, value in tag_works(batch).items():
                        totals[key] += value
                bar.update(len(batch))
        if options["queue"]:
            self.stdout.write(f"{len(ids)} posters queued for tagging")
        else:
            self.stdout.write(
                self.style.SUCCESS(", ".join(f"{n} {outcome}" for outcome, n in totals.items()))
            )
