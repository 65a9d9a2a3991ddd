"""Write consenting users' ratings as ``user,work,choice,date`` (and, with ``--tags``, the
works' tags as ``work,tag,weight``) for `python -m recommender.evaluate`."""

import csv
import hashlib
import secrets

from django.core.management.base import BaseCommand

from mangaki.models import Rating, TaggedWork


class Command(BaseCommand):
    help = (
        "Export the ratings of users who allow research use (Profile.research_ok) as a "
        "user,work,choice,date CSV with anonymised user ids."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--salt", default=None, help="fixes the user order (default: random)")
        parser.add_argument("--exclude-demo", action="store_true", help="leave out simulated users")
        parser.add_argument("--tags", default=None, help="also write work,tag,weight here")

    def handle(self, *args, path, salt, exclude_demo, tags=None, **options):
        salt = salt if salt is not None else secrets.token_hex(16)
        ratings = Rating.objects.filter(user__profile__research_ok=True)
        if exclude_demo:
            ratings = ratings.filter(user__profile__is_demo=False)
        rows = list(
            ratings.order_by("user_id", "work_id").values_list(
                "user_id", "work_id", "choice", "date"
            )
        )
        # Sequential ids in the order of a salted hash: neither the database id nor the
        # sign-up order can be read back from the file.
        users = sorted(
            {u for u, _, _, _ in rows},
            key=lambda u: hashlib.sha256(f"{salt}:{u}".encode()).hexdigest(),
        )
        alias = {u: i for i, u in enumerate(users)}
        rows.sort(key=lambda r: (alias[r[0]], r[1]))
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            # The date lets `python -m recommender.evaluate --split temporal` hold out
            # each person's latest ratings.
            writer.writerow(["user", "work", "choice", "date"])
            writer.writerows((alias[u], w, c, d.isoformat()) for u, w, c, d in rows)
        self.stdout.write(f"{len(rows)} ratings of {len(users)} users written to {path}")
        if tags:
            pairs = TaggedWork.objects.order_by("work_id", "tag__name").values_list(
                "work_id", "tag__name", "weight"
            )
            with open(tags, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["work", "tag", "weight"])
                # A tag from two sources (metadata, poster) counts once, at its strongest.
                best: dict[tuple[int, str], float] = {}
                for work, name, weight in pairs:
                    best[work, name] = max(weight, best.get((work, name), 0.0))
                writer.writerows((w, n, f"{v:.4f}") for (w, n), v in best.items())
            self.stdout.write(f"{len(best)} tags of works written to {tags}")
