"""Named model configurations for the evaluation command.

Each name maps to a factory ``random_state -> unfitted estimator``. Imports happen inside
the factories so that a model whose module is missing or broken only fails when chosen.

Example::

    >>> make_factory("knn-item")(0).kind
    'item'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

# name -> (module, class, fixed keyword arguments); random_state is added per fold.
MODELS: dict[str, tuple[str, str, dict]] = {
    "baseline": ("baseline", "Baseline", {}),
    "als": ("als", "ALS", {}),
    "lasso": ("lasso", "Lasso", {}),
    "balse": ("balse", "BALSE", {}),
    "knn-user": ("knn", "KNN", {"kind": "user"}),
    "knn-item": ("knn", "KNN", {"kind": "item"}),
    "svd": ("svd", "TruncatedSVD", {}),
    "mf": ("mf", "MatrixFactorization", {}),
    "fm": ("fm", "FactorizationMachine", {}),
    "neural": ("neural", "NeuralRecommender", {}),
    "blend": ("blend", "Blend", {}),
    # Top-N list models (python -m recommender.evaluate --task topn).
    "ease": ("ease", "EASE", {"weight_floor": 1.0}),  # the classic binary EASE
    "ranker": ("ranker", "Ranker", {}),  # the list model the site serves
}
#: Not an estimator: the list of the most rated works, built by the top-N protocol itself.
POPULARITY = "popularity"


def model_class(name: str):
    """The estimator class behind a model name (imports its module)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    module_name, class_name, _ = MODELS[name]
    module = importlib.import_module(f"recommender.algorithms.{module_name}")
    return getattr(module, class_name)


def make_factory(name: str, **overrides) -> Callable:
    """A factory building the named model with ``random_state`` (if the class takes one)."""
    cls = model_class(name)
    params = {**MODELS[name][2], **overrides}

    def factory(random_state):
        model = cls(**params)
        if "random_state" in model.get_params():
            model.set_params(random_state=random_state)
        return model

    return factory
