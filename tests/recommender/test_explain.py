"""Explanations, and persistence details beyond the contract suite."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.algorithms.als import ALS
from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.explain import explain_tags, nearest_liked, user_taste
from recommender.algorithms.lasso import Lasso
from recommender.algorithms.persistence import load_model, save_model

TAGS = ["space", "gore", "music", "school"]


def test_explain_tags_ranks_positive_contributions_first():
    coef = np.array([1.0, -3.0, 0.5, 2.0])
    row = sp.csr_matrix([[1.0, 1.0, 0.0, 0.5]])
    assert explain_tags(coef, row, TAGS, k=3) == [("space", 1.0), ("school", 1.0), ("gore", -3.0)]
    assert explain_tags(coef, row, TAGS, k=1) == [("gore", -3.0)]


def test_user_taste_reads_the_lasso_weights_of_a_planted_user(tag_world):
    model = Lasso(alpha=0.05).fit(tag_world.train, tag_world.tags)
    names = [f"tag{j}" for j in range(tag_world.tags.shape[1])]
    taste = user_taste(model.coef_[0], names, k=3)
    planted = tag_world.weights[0]
    liked, disliked = np.flatnonzero(planted > 0), np.flatnonzero(planted < 0)
    # The planted tags come first; a weak third one may follow (everyone's average
    # taste, which the user's weights start from).
    assert {name for name, _ in taste["liked"][: len(liked)]} == {names[j] for j in liked}
    assert {name for name, _ in taste["disliked"][: len(disliked)]} == {names[j] for j in disliked}
    assert all(
        abs(w) < 0.3 for _, w in taste["liked"][len(liked) :] + taste["disliked"][len(disliked) :]
    )


def test_nearest_liked_uses_cosine_and_skips_the_item_itself():
    factors = np.array([[1.0, 0.0], [2.0, 0.1], [0.0, 1.0], [0.0, 0.0], [-1.0, 0.0]])
    assert nearest_liked(factors, 0, [0, 1, 2, 3, 4], k=2) == [(1, 0.9988), (2, 0.0)]
    assert nearest_liked(factors, 0, [], k=2) == []
    assert nearest_liked(factors, 9, [1], k=2) == []


def test_saved_file_is_versioned_and_refuses_unknown_versions(tmp_path):
    data = RatingMatrix.from_triples([0, 0, 1, 1], [0, 1, 0, 1], [4.0, 2.0, 4.0, 1.0])
    path = save_model(ALS(rank=2, n_iter=2, random_state=0).fit(data), tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(str(archive["__meta__"]))
        arrays = {name: archive[name] for name in archive.files}
    assert header["format_version"] == 1
    assert header["models"][""]["params"]["rank"] == 2
    header["format_version"] = 99
    arrays["__meta__"] = np.asarray(json.dumps(header))
    np.savez(tmp_path / "future.npz", **arrays)
    with pytest.raises(ValueError, match="format version 99"):
        load_model(tmp_path / "future.npz")


def test_it_refuses_classes_outside_the_recommender_package(tmp_path):
    entry = {"class": "os:system", "params": {}, "kinds": {}}
    header = {"format_version": 1, "models": {"": entry}}
    np.savez(tmp_path / "evil.npz", __meta__=np.asarray(json.dumps(header)))
    with pytest.raises(ValueError, match="refusing"):
        load_model(tmp_path / "evil.npz")


def test_it_refuses_a_model_saved_with_another_class_version(tmp_path, monkeypatch):
    data = RatingMatrix.from_triples([0, 1], [0, 1], [4.0, 2.0])
    path = save_model(ALS(rank=1, n_iter=1, random_state=0).fit(data), tmp_path / "m.npz")
    monkeypatch.setattr(ALS, "format_version", 2)
    with pytest.raises(ValueError, match="class format version 1"):
        load_model(path)
