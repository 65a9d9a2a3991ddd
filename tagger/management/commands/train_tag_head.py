import numpy as np
from django.core.management.base import BaseCommand, CommandError

from tagger.heads import activate, active_head, new_head_path
from tagger.training import build_dataset, held_out_auc, mean_auc, split


class Command(BaseCommand):
    help = (
        "Train the tag head (poster embedding -> genres and metadata tags) from works that have "
        "both, print per-tag precision/recall/AUC on held-out works, and activate it only if it "
        "is not worse than the active head on the same works."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-positives", type=int, default=10)
        parser.add_argument("--held-out", type=float, default=0.2)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--alpha", type=float, default=1.0)
        parser.add_argument(
            "--threshold-rule",
            choices=["rate", "precision", "f1"],
            default="rate",
            help="per-tag thresholds: 'rate' (default) predicts each tag as often as it is true "
            "on held-out works; 'precision' reaches --min-precision; 'f1' predicts many more "
            "tags than works have",
        )
        parser.add_argument("--min-precision", type=float, default=0.5)
        parser.add_argument("--force", action="store_true", help="activate even if worse")

    def handle(self, *args, **options):
        from tagger.vision.head import TagHead, evaluate

        data = build_dataset(options["min_positives"])
        if len(data.work_ids) < 20 or not data.tag_names:
            raise CommandError(
                f"not enough training data: {len(data.work_ids)} works with a tagged poster and "
                f"{len(data.tag_names)} tags with >= {options['min_positives']} examples"
            )
        train, test = split(data, options["held_out"], options["seed"])
        head = TagHead(
            alpha=options["alpha"],
            random_state=options["seed"],
            threshold_rule=options["threshold_rule"],
            min_precision=options["min_precision"],
        )
        head.fit(data.X[train], data.Y[train], tag_names=data.tag_names)
        report = evaluate(head, data.X[test], data.Y[test])
        self.stdout.write(f"{'tag':<24} {'support':>7} {'precision':>9} {'recall':>7} {'AUC':>6}")
        for name, m in sorted(report.items(), key=lambda kv: -kv[1]["support"]):
            line = f"{name:<24} {m['support']:>7} {m['precision']:>9.3f} {m['recall']:>7.3f}"
            self.stdout.write(f"{line} {m['auc']:>6.3f}")
        new_auc = mean_auc(report)
        self.stdout.write(f"mean AUC on {len(test)} held-out works: {new_auc:.3f}")
        predicted = head.predict(data.X[test]).sum(axis=1).mean()
        truth = data.Y[test].sum(axis=1).mean()
        self.stdout.write(f"tags per held-out work: {predicted:.2f} predicted, {truth:.2f} true")

        current = active_head()
        current_auc = held_out_auc(current, data, test) if current is not None else float("nan")
        path = head.save(new_head_path())
        if np.isfinite(current_auc) and new_auc < current_auc and not options["force"]:
            self.stdout.write(
                self.style.WARNING(
                    f"kept {path.name} but did not activate it: mean AUC {new_auc:.3f} is below "
                    f"the active head's {current_auc:.3f} on the same works (--force to override)"
                )
            )
            return
        activate(path)
        self.stdout.write(self.style.SUCCESS(f"activated {path.name}"))
