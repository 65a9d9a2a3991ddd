"""How the list model mixes its parts: the content ridge, the popularity gate, the like and
popularity weights, each chosen on a validation split (:class:`~recommender.algorithms.ranker.
Ranker` calls :func:`learn_mix` while fitting)."""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.list_shaping import rating_model_scores, standardise
from recommender.algorithms.topn import recall_ndcg, top_n

logger = logging.getLogger("recommender.algorithms.ranker")

GATE_GRID = (1.0, 3.0, 10.0)
PICK_ONLY = 1e-3  # a gate this small leaves the content part to works nobody rated
CONTENT_REG_GRID = (0.1, 1.0, 10.0)
LIKE_GRID = (0.0, 0.1, 0.25, 0.5)
POPULARITY_GRID = (0.0, 0.1, 0.25, 0.5, 1.0)
WELL_KNOWN = 5  # interactions from which a work's pick score teaches the content part
MIN_GAIN = 0.03  # relative validation gain a departure from "pick alone" must bring (noise: ±2%)


def content_map(design, well_known, reg: float):
    """Ridge map (features x well-known works) regressing pick scores on features."""
    x = design[well_known]
    gram = x.T @ x
    scale = float(np.trace(gram)) / max(gram.shape[0], 1)
    gram[np.diag_indices_from(gram)] += reg * max(scale, 1e-9)
    return np.linalg.solve(gram, x.T)


def learn_mix(part, valid, pick, rating_model, design, little_known: int, rng):
    """(gate, content ridge, like weight) from the validation interactions.

    The content ridge is the one that best ranks little-known works among themselves
    (what the exploration place and the cold works need). The gate and the like
    weight start at "pick alone" and move only for a validation recall@20 at least
    ``MIN_GAIN`` better: a small split's noise must not decide the list.
    """
    threshold = float(np.median(valid.values)) if valid.nnz else 0.0
    liked = valid.values >= threshold
    relevant = sp.csr_matrix(
        (np.ones(liked.sum()), (valid.users[liked], valid.items[liked])), shape=part.shape
    )
    users = np.flatnonzero(np.diff(relevant.indptr) > 0)
    counts = part.item_counts().astype(np.float64)
    well_known = np.flatnonzero(counts >= WELL_KNOWN)
    if len(users) == 0 or len(well_known) == 0:
        return PICK_ONLY, CONTENT_REG_GRID[1], 0.0, 0.0
    if len(users) > 2000:
        users = np.sort(rng.choice(users, size=2000, replace=False))
    seen = sp.csr_matrix((np.ones(part.nnz), (part.users, part.items)), shape=part.shape)[users]
    picks = pick.score_users(users)
    target = relevant[users]
    little = counts < little_known

    def recall(score_matrix, only=None) -> float:
        scores = score_matrix if only is None else np.where(only, score_matrix, -np.inf)
        lists = top_n(scores, 20, exclude=seen)
        return float(np.nan_to_num(np.nanmean(recall_ndcg(lists, target)[0]), nan=0.0))

    # Only the best content scores are kept (each is a users x works matrix); ties go to
    # the ridge nearest 1.
    by_reg: dict[float, float] = {}
    best_key, content, content_reg = None, None, CONTENT_REG_GRID[0]
    for reg in CONTENT_REG_GRID:
        mapping = content_map(design, well_known, reg)
        candidate = (picks[:, well_known] @ mapping.T) @ design.T
        by_reg[reg] = recall(candidate, only=little)
        key = (by_reg[reg], -abs(np.log10(reg)))
        if best_key is None or key > best_key:
            best_key, content, content_reg = key, candidate, reg
        del candidate

    def mixed(gate):
        share = counts / (counts + gate)
        return share * picks + (1 - share) * content

    # The works held out whole taught the content part; the list itself is judged
    # on the others, as a random split of a live site's ratings would be.
    rated = counts > 0
    gate, best = PICK_ONLY, recall(mixed(PICK_ONLY), only=rated)
    for candidate in GATE_GRID:
        found = recall(mixed(candidate), only=rated)
        if found > best * (1 + MIN_GAIN):
            gate, best = candidate, found
    base = standardise(mixed(gate))
    likes = standardise(rating_model_scores(rating_model, users, part.n_items))
    like_weight = 0.0
    for candidate in LIKE_GRID[1:]:
        found = recall(base + candidate * likes, only=rated)
        if found > best * (1 + MIN_GAIN):
            like_weight, best = candidate, found
    base = base + like_weight * likes
    prior = standardise(np.log1p(counts)[None, :])
    popularity_weight = 0.0
    for candidate in POPULARITY_GRID[1:]:
        found = recall(base + candidate * prior, only=rated)
        if found > best * (1 + MIN_GAIN):
            popularity_weight, best = candidate, found
    logger.info(
        "Ranker: content ridge %.3g (little-known recall %s), gate %.3g, like weight %.3g,"
        " popularity weight %.3g (validation recall@20 %.4f)",
        content_reg, {k: round(v, 4) for k, v in by_reg.items()}, gate, like_weight,
        popularity_weight, best,
    )  # fmt: skip
    return float(gate), float(content_reg), float(like_weight), float(popularity_weight)
