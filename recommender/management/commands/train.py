from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from recommender.training import TrainingBusy, settings_params, train


class Command(BaseCommand):
    help = "Train, evaluate and (if not worse) activate a new recommendation model, now."

    def add_arguments(self, parser):
        parser.add_argument("--rank", type=int)
        parser.add_argument("--reg", type=float)
        parser.add_argument("--iterations", type=int, dest="n_iter")
        parser.add_argument("--alpha", type=float)
        parser.add_argument("--seed", type=int)
        parser.add_argument(
            "--if-no-model", action="store_true", help="do nothing if a model is already active"
        )

    def handle(self, *args, **options):
        from recommender.models import TrainingRun

        if options["if_no_model"] and TrainingRun.objects.filter(is_active=True).exists():
            self.stdout.write("a model is already active; kept")
            return
        params = settings_params()
        params.update(
            {
                k: options[k]
                for k in ("rank", "reg", "n_iter", "alpha", "seed")
                if options[k] is not None
            }
        )
        with tqdm(total=100, unit="%", disable=options["verbosity"] == 0) as bar:

            def progress(fraction: float, message: str) -> None:
                bar.set_description(message)
                bar.update(int(fraction * 100) - bar.n)

            try:
                run = train("command", params, progress)
            except TrainingBusy as exc:
                raise CommandError(str(exc)) from exc
            except ValueError as exc:
                raise CommandError(f"training failed: {exc}") from exc
        metrics = ", ".join(
            f"{k} {v:.4f}"
            for k, v in run.metrics.items()
            if k.startswith(("rmse", "als_", "lasso_", "recall", "ndcg", "popularity_recall"))
        )
        self.stdout.write(
            f"{run.version}: {run.n_ratings} ratings, {run.n_users} users, {run.n_items} works"
        )
        self.stdout.write(f"held-out: {metrics}")
        self.stdout.write(self.style.SUCCESS(f"{run.status}: {run.reason}"))
