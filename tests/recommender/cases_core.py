"""The core estimators (ALS, LASSO, BALSE) for the shared contract suite.

Same shape as ``cases_extra.py``: ``(name, factory)`` or ``(name, factory, options)`` with
``factory(random_state=...)`` returning an unfitted estimator. Options understood by
``test_contract.py``: ``needs_features`` (fit with the item tag matrix), ``ml100k_rmse``
(upper bound of the u1 test RMSE), ``generated_rmse`` (upper bound of the test RMSE on the
generated MovieLens-like ratings, ``conftest.make_rating_world``) and ``planted_ratio``
(held-out RMSE on the planted world must stay below this fraction of the rating spread).
"""

from recommender.algorithms.als import ALS
from recommender.algorithms.balse import BALSE
from recommender.algorithms.lasso import Lasso

CASES = [
    (
        "als",
        lambda random_state=0: ALS(random_state=random_state),  # the defaults
        # The default prior (30 pseudo-ratings) shrinks this small dense world a little more
        # than plain ALS-WR would (0.30 -> 0.303 of the spread); it pays off on real data.
        {"generated_rmse": 0.82, "ml100k_rmse": 0.925, "planted_ratio": 0.32},
    ),
    (
        "als-cholesky",
        lambda random_state=0: ALS(rank=10, solver="cholesky", random_state=random_state),
        {"generated_rmse": 0.82, "ml100k_rmse": 0.94, "planted_ratio": 0.32},
    ),
    (
        "lasso",
        lambda random_state=0: Lasso(alpha=0.05, random_state=random_state),
        # The default prior (15 pseudo-ratings toward the baseline) shrinks this noise-free
        # world's tastes by 17% (0.19 -> 0.31 of the spread); on MovieLens it is worth
        # 0.956 -> 0.949 and on sparse users it is what keeps LASSO above the baseline.
        {
            "generated_rmse": 0.92,
            "needs_features": True,
            "ml100k_rmse": 0.96,
            "planted_ratio": 0.33,
        },
    ),
    (
        "balse",
        lambda random_state=0: BALSE(random_state=random_state),  # ALS and LASSO defaults
        # Its LASSO's prior toward the baseline costs the noise-free world (0.2 -> 0.28).
        {
            "generated_rmse": 0.82,
            "needs_features": True,
            "ml100k_rmse": 0.935,
            "planted_ratio": 0.3,
        },
    ),
]
