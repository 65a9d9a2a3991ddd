"""Write consenting users' ratings as ``user,work,choice`` for `python -m recommender.evaluate`."""

import csv
import hashlib
import secrets

from django.core.management.base import BaseCommand

from mangaki.models import Rating


class Command(BaseCommand):
    help = (
        "Export the ratings of users who allow research use (Profile.research_ok) as a "
        "user,work,choice CSV with anonymised user ids."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--salt", default=None, help="fixes the user order (default: random)")
        parser.add_argument("--exclude-demo", action="store_true", help="leave out simulated users")

    def handle(self, *args, path, salt, exclude_demo, **options):
        salt = salt if salt is not None else secrets.token_hex(16)
        ratings = Rating.objects.filter(user__profile__research_ok=True)
        if exclude_demo:
            ratings = ratings.filter(user__profile__is_demo=False)
        rows = list(
            ratings.order_by("user_id", "work_id").values_list("user_id", "work_id", "choice")
        )
        # Sequential ids in the order of a salted hash: neither the database id nor the
        # sign-up order can be read back from the file.
        users = sorted(
            {u for u, _, _ in rows},
            key=lambda u: hashlib.sha256(f"{salt}:{u}".encode()).hexdigest(),
        )
        alias = {u: i for i, u in enumerate(users)}
        rows.sort(key=lambda r: (alias[r[0]], r[1]))
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["user", "work", "choice"])
            writer.writerows((alias[u], w, c) for u, w, c in rows)
        self.stdout.write(f"{len(rows)} ratings of {len(users)} users written to {path}")
