from django.core.management.base import BaseCommand

from mangaki.services.posters import FetchPolicy, fetch_missing_posters


class Command(BaseCommand):
    help = "Download posters of works that have a poster URL but no stored poster."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument("--timeout", type=float, default=10.0)
        parser.add_argument(
            "--delay", type=float, default=1.0, help="seconds between requests to one host"
        )
        parser.add_argument("--queue", action="store_true", help="queue a Celery task instead")

    def handle(self, *args, limit, timeout, delay, queue, **options):
        if queue:
            from mangaki.tasks.posters import fetch_missing_posters as task

            task.delay(limit or 500)
            self.stdout.write("queued")
            return
        outcomes = fetch_missing_posters(limit, FetchPolicy(timeout=timeout, host_delay=delay))
        self.stdout.write(
            ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())) or "nothing to fetch"
        )
