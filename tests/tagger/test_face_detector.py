"""FaceDetector: targets, fitting on planted faces, persistence, the shipped weights."""

import numpy as np
import pytest

from tagger.vision.face_detector import DEFAULT_PATH, FaceDetector, padded_geometry, targets

pytest.importorskip("torch")


def test_targets_mark_each_face_centre_with_its_offset_and_size():
    # A 224 x 224 poster: cells of 8 pixels; a 40-pixel face centred at (100, 60).
    heat, regression, centres = targets([(80, 40, 40, 40)], (224, 224))
    assert np.argwhere(centres == 1).tolist() == [[7, 12]]  # row 60 // 8, column 100 // 8
    assert heat[7, 12] == 1.0 and 0 < heat[7, 13] < 1 and heat[0, 0] < 1e-6
    dx, dy, log_w, log_h = regression[:, 7, 12]
    assert (dx, dy) == pytest.approx((0.5, 0.5))
    assert np.exp([log_w, log_h]) == pytest.approx([5.0, 5.0])  # 40 pixels = 5 cells


def planted(rng, count):
    """Random maps in which channel 0 of the stride-8 map lights up where a face is centred."""
    maps = {s: rng.normal(size=(count, c, s, s)).astype(np.float32) for s, c in
            {28: 40, 14: 112, 7: 320}.items()}  # fmt: skip
    boxes = []
    for i in range(count):
        row, col = rng.integers(3, 25, size=2)
        maps[28][i, 0, row, col] += 6.0
        boxes.append([(col * 8 + 4 - 12, row * 8 + 4 - 12, 24, 24)])
    return maps, boxes


def test_a_fitted_detector_finds_planted_faces_where_they_are():
    rng = np.random.default_rng(0)
    maps, boxes = planted(rng, 192)
    detector = FaceDetector(hidden=8, epochs=40, learning_rate=1e-2).fit(
        maps, boxes, [(224, 224)] * 192
    )
    test_maps, test_boxes = planted(rng, 8)
    hits = 0
    for i in range(8):
        found = detector.detect({s: m[i] for s, m in test_maps.items()}, (224, 224), threshold=0.2)
        x, y, w, h = test_boxes[i][0]
        if found:  # the most probable face is the planted one, about its size
            (fx, fy, fw, fh), _ = found[0]
            hits += abs(fx + fw / 2 - x - w / 2) <= 8 and abs(fy + fh / 2 - y - h / 2) <= 8
            assert 12 <= fw <= 48 and 12 <= fh <= 48
        assert len(found) <= 2  # noise elsewhere is rarely a face
    assert hits >= 6


def test_saved_weights_give_the_same_faces(tmp_path):
    rng = np.random.default_rng(1)
    maps, boxes = planted(rng, 32)
    detector = FaceDetector(hidden=4, epochs=2).fit(maps, boxes, [(224, 224)] * 32)
    loaded = FaceDetector.load(detector.save(tmp_path / "faces.npz"))
    one = {s: m[0] for s, m in maps.items()}
    assert loaded.detect(one, (224, 224), threshold=0.0) == detector.detect(
        one, (224, 224), threshold=0.0
    )
    np.testing.assert_array_equal(loaded.eye_boxes_, detector.eye_boxes_)


def test_load_refuses_other_files_and_an_unfitted_detector_says_so(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, kind=np.array("something else"))
    with pytest.raises(ValueError, match="not a saved FaceDetector"):
        FaceDetector.load(other)
    with pytest.raises(RuntimeError, match="not fitted"):
        FaceDetector().predict_maps({28: np.zeros((1, 40, 28, 28))})


def test_boxes_map_back_to_the_posters_pixels():
    # A 200 x 400 poster is scaled by 0.56 and centred 56 pixels from the left.
    assert padded_geometry(200, 400, 224) == (0.56, 56.0, 0.0)


def test_the_shipped_detector_loads_and_knows_where_eyes_are():
    detector = FaceDetector.load(DEFAULT_PATH)
    left, right = detector.eye_boxes((100, 100, 40, 40))
    assert abs(left[0] - right[0]) >= 10  # side by side
    for x, y, w, h in (left, right):  # inside the face, in its upper half
        assert 100 <= x and x + w <= 140 and 100 <= y and y + h / 2 <= 120
