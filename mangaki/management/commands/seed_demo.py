from django.core.management.base import BaseCommand, CommandError

from mangaki.services.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Create SIMULATED demo users and ratings over the catalogue (deterministic from --seed). "
        "Re-running replaces the previous demo users."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=300)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--category", default="anime")
        parser.add_argument(
            "--if-missing", action="store_true", help="do nothing if demo users already exist"
        )

    def handle(self, *args, users, seed, category, **options):
        from mangaki.models import Profile

        if options["if_missing"] and Profile.objects.filter(is_demo=True).exists():
            self.stdout.write("demo users already exist; kept")
            return
        if users < 1:
            raise CommandError("--users must be at least 1")
        try:
            summary = seed_demo(users, seed, category)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.users} simulated users, {summary.ratings} simulated ratings"
            )
        )
