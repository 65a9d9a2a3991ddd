"""Face proposals: geometry known answers, the shipped weights, what they buy on real posters."""

import numpy as np
import pytest

from tagger.vision.proposals import FaceProposals, default_proposals, face_cells, padded_geometry


def test_the_padded_geometry_matches_the_model_input():
    assert padded_geometry(200, 400, 224) == (0.56, 56.0, 0.0)
    assert padded_geometry(400, 200, 224) == (0.56, 0.0, 56.0)


def test_a_face_marks_the_cell_of_its_centre():
    # A 200x200 poster fills the square: cell size 200/4 = 50 poster pixels.
    target = face_cells([(60, 110, 20, 20)], (200, 200), side=4)
    assert target.sum() == 1 and target[2, 1] == 1


def planted_maps(n, seed):
    """Channel 0 is high exactly where a face centre is."""
    rng = np.random.default_rng(seed)
    maps = rng.normal(size=(n, 8, 28, 28)).astype(np.float32)
    targets = np.zeros((n, 28, 28), np.int8)
    for i in range(n):
        y, x = rng.integers(0, 28, size=2)
        targets[i, y, x] = 1
        maps[i, 0, y, x] += 6.0
    return maps, targets


def test_it_learns_a_planted_face_cell_and_searches_around_it(tmp_path):
    maps, targets = planted_maps(40, seed=0)
    proposals = FaceProposals(threshold=0.5, grow=1).fit(maps, targets)
    test_maps, test_targets = planted_maps(10, seed=1)
    for feature_map, target in zip(test_maps, test_targets, strict=True):
        scores = proposals.score_map(feature_map)
        assert np.unravel_index(scores.argmax(), scores.shape) == tuple(np.argwhere(target)[0])
    # A square 224x224 poster: one cell is 8x8 pixels, grown by a cell up, down, left, right.
    proposals.threshold = 0.9
    mask = proposals.mask(test_maps[0], (224, 224))
    y, x = np.argwhere(test_targets[0])[0]
    expected = np.zeros((224, 224), bool)
    expected[max(0, y - 1) * 8 : (y + 2) * 8, x * 8 : (x + 1) * 8] = True
    expected[y * 8 : (y + 1) * 8, max(0, x - 1) * 8 : (x + 2) * 8] = True
    np.testing.assert_array_equal(mask, expected)
    loaded = FaceProposals.load(proposals.save(tmp_path / "p.npz"))
    np.testing.assert_array_equal(loaded.score_map(test_maps[0]), proposals.score_map(test_maps[0]))
    assert (loaded.threshold, loaded.grow) == (0.9, 1)


def test_the_shipped_proposals_load():
    proposals = default_proposals()
    assert proposals is not None and proposals.coef_.shape == (40,)
    assert 0 < proposals.threshold < 1


@pytest.mark.slow
def test_proposals_search_a_fraction_of_the_poster_and_keep_most_faces(backbone, posters_dir):
    # The labelled posters were left out of the proposals' fit.
    from benchmarks.face_labels import read_labels
    from tagger.vision.faces import detect_faces
    from tagger.vision.preprocess import load_poster, to_model_input

    proposals = default_proposals()
    clear = [x for x in read_labels() if x.clear_face][::2]  # 35 posters
    found_full = found_masked = 0
    searched = []
    for label in clear:
        image = load_poster(posters_dir / "images" / f"{label.mal_id}.jpg")
        _, maps = backbone.embed_with_maps(to_model_input(image)[None])
        mask = proposals.mask(maps[0], image.size)
        searched.append(mask.mean())
        found_full += bool(detect_faces(image))
        found_masked += bool(detect_faces(image, mask=mask))
    assert np.mean(searched) < 0.3
    assert found_masked >= 0.8 * found_full
