"""The tag head learns planted tags, calibrates thresholds and survives a save/load round trip."""

import numpy as np
import pytest

from tagger.vision.head import FORMAT_VERSION, TagHead, evaluate
from tagger.vision.metrics import average_precision, best_f1_thresholds, roc_auc

TAGS = ["planted", "noise", "rare"]


def planted_data(n: int, seed: int):
    """64-d embeddings; 'planted' is a linear function, 'noise' is random, 'rare' is 8% linear."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 64))
    planted = X[:, 0] + 0.5 * X[:, 1] > 0.3
    noise = rng.random(n) < 0.3
    rare = X[:, 2] - X[:, 3] > 2.0
    return X, np.column_stack([planted, noise, rare]).astype(np.int8)


@pytest.fixture(scope="module")
def fitted():
    X, Y = planted_data(600, seed=1)
    return TagHead(alpha=0.01, random_state=0).fit(X, Y, tag_names=TAGS)


def test_it_learns_a_planted_tag_and_not_noise(fitted):
    X_test, Y_test = planted_data(400, seed=2)
    report = evaluate(fitted, X_test, Y_test)
    assert report["planted"]["auc"] > 0.97
    assert report["planted"]["f1"] > 0.85
    assert report["rare"]["auc"] > 0.9
    assert 0.35 < report["noise"]["auc"] < 0.65
    assert report["planted"]["support"] == int(Y_test[:, 0].sum())


def test_predict_tags_returns_tags_above_threshold_best_first(fitted):
    strong = np.zeros(64)
    strong[0], strong[2], strong[3] = 3.0, 3.0, -3.0  # clearly 'planted' and 'rare'
    tags = fitted.predict_tags(strong)
    names = [name for name, _ in tags]
    assert "planted" in names and "rare" in names
    assert [p for _, p in tags] == sorted((p for _, p in tags), reverse=True)
    negative = np.zeros(64)
    negative[0], negative[2] = -3.0, -3.0
    assert "planted" not in dict(fitted.predict_tags(negative))


def test_thresholds_are_calibrated_per_tag(fitted):
    assert fitted.thresholds_.shape == (3,)
    assert ((fitted.thresholds_ > 0) & (fitted.thresholds_ < 1)).all()
    assert len(set(fitted.thresholds_.round(6))) == 3  # one threshold per tag, not a fixed 0.5
    # Validation F1 is what the thresholds maximised: high where there is signal.
    assert fitted.validation_f1_[0] > 0.85 and fitted.validation_f1_[0] > fitted.validation_f1_[1]


def test_a_threshold_maximises_f1_on_the_validation_rows():
    X, Y = planted_data(300, seed=6)
    head = TagHead(refit=False, random_state=0).fit(X, Y, tag_names=TAGS)
    val = np.random.default_rng(0).permutation(300)[:75]  # the split fit() made
    scores = head.predict_proba(X[val])[:, 0]

    def f1_at(t):
        predicted, actual = scores >= t, Y[val, 0] == 1
        return 2 * (predicted & actual).sum() / (predicted.sum() + actual.sum())

    best = f1_at(head.thresholds_[0])
    assert best == pytest.approx(head.validation_f1_[0])
    assert all(f1_at(t) <= best + 1e-12 for t in np.linspace(0.01, 0.99, 99))


def test_fitting_is_deterministic():
    X, Y = planted_data(200, seed=3)
    a = TagHead(random_state=7).fit(X, Y)
    b = TagHead(random_state=7).fit(X, Y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)


def test_save_load_round_trip(fitted, tmp_path):
    path = fitted.save(tmp_path / "head.npz")
    loaded = TagHead.load(path, backbone="efficientnet-lite0")
    X, _ = planted_data(50, seed=4)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.thresholds_, fitted.thresholds_)
    assert loaded.tag_names_.dtype.kind == "U" and list(loaded.tag_names_) == TAGS
    assert loaded.get_params() == fitted.get_params()
    with np.load(path, allow_pickle=False) as data:  # no object array anywhere
        assert int(data["format_version"]) == FORMAT_VERSION
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_load_refuses_other_versions_and_backbones(fitted, tmp_path):
    path = fitted.save(tmp_path / "head.npz")
    with pytest.raises(ValueError, match="trained on efficientnet-lite0"):
        TagHead.load(path, backbone="some-stronger-net")
    with np.load(path, allow_pickle=False) as data:
        arrays = dict(data)
    arrays["format_version"] = np.array(FORMAT_VERSION + 1)
    np.savez(tmp_path / "future.npz", **arrays)
    with pytest.raises(ValueError, match="format"):
        TagHead.load(tmp_path / "future.npz")
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="not a saved TagHead"):
        TagHead.load(tmp_path / "other.npz")


def test_it_validates_its_input():
    X, Y = planted_data(40, seed=5)
    with pytest.raises(RuntimeError, match="not fitted"):
        TagHead().predict_proba(X)
    with pytest.raises(ValueError, match="0 and 1"):
        TagHead().fit(X, Y * 2)
    with pytest.raises(ValueError, match="alpha"):
        TagHead(alpha=0).fit(X, Y)
    with pytest.raises(ValueError, match="tag_names"):
        TagHead().fit(X, Y, tag_names=["a", "a", "b"])
    head = TagHead().fit(X, Y)
    with pytest.raises(ValueError, match="64-d"):
        head.predict_proba(np.zeros((1, 10)))


def test_metrics_match_known_answers():
    y = np.array([[1, 0], [0, 0], [1, 1], [0, 1]])
    scores = np.array([[0.9, 0.5], [0.8, 0.5], [0.7, 0.5], [0.1, 0.5]])
    auc = roc_auc(y, scores)
    assert auc[0] == pytest.approx(0.75) and auc[1] == pytest.approx(0.5)  # ties count half
    ap = average_precision(y, scores)
    assert ap[0] == pytest.approx((1 + 2 / 3) / 2)
    assert ap[1] == pytest.approx(0.5)  # a constant score gets the positive rate
    assert np.isnan(roc_auc(np.array([1, 1]), np.array([0.1, 0.2]))[0])
    thresholds, f1 = best_f1_thresholds(y[:, :1], scores[:, :1])
    assert thresholds[0] == pytest.approx(0.7) and f1[0] == pytest.approx(0.8)


def test_it_clones_like_a_scikit_learn_estimator():
    from sklearn.base import clone

    head = TagHead(alpha=0.5, random_state=3)
    copy = clone(head)
    assert copy.get_params() == head.get_params() and not hasattr(copy, "coef_")
    assert head.set_params(alpha=2.0).alpha == 2.0
    with pytest.raises(ValueError, match="unknown"):
        head.set_params(learning_rate=1)


def test_rate_thresholds_predict_each_tag_as_often_as_it_is_true():
    X, Y = planted_data(400, seed=8)
    head = TagHead(refit=False, random_state=0, threshold_rule="rate").fit(X, Y, tag_names=TAGS)
    val = np.random.default_rng(0).permutation(400)[:100]  # the split fit() made
    predicted = head.predict(X[val]).sum(axis=0)
    np.testing.assert_array_equal(predicted, Y[val].sum(axis=0))
    f1_head = TagHead(refit=False, random_state=0).fit(X, Y, tag_names=TAGS)
    assert f1_head.predict(X[val]).sum() > predicted.sum()  # F1 thresholds predict more


def test_precision_thresholds_reach_the_stated_precision_on_validation():
    X, Y = planted_data(400, seed=9)
    head = TagHead(refit=False, random_state=0, threshold_rule="precision", min_precision=0.9)
    head.fit(X, Y, tag_names=TAGS)
    val = np.random.default_rng(0).permutation(400)[:100]
    predicted = head.predict(X[val])[:, 0] == 1
    assert predicted.any() and Y[val, 0][predicted].mean() >= 0.9
    path_params = head.get_params()
    assert path_params["threshold_rule"] == "precision" and path_params["min_precision"] == 0.9
    with pytest.raises(ValueError, match="threshold_rule"):
        TagHead(threshold_rule="vibes").fit(X, Y)
