"""Faces and colours against the labels made by eye (data/poster_faces.csv), held-out half.

Floors sit just under what was measured (docs/tagger.md): a change that loses faces, miscounts
more or names more colours wrongly fails here.
"""

import pytest

from benchmarks.face_labels import evaluate, read_labels

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def held_out_figures(backbone, posters_dir):
    from tagger.vision import analyse_batch
    from tagger.vision.faces import FaceAnalysis

    labels = [x for x in read_labels() if x.held_out]
    results = analyse_batch(
        [posters_dir / "images" / f"{label.mal_id}.jpg" for label in labels], backbone=backbone
    )
    found = {
        label.mal_id: FaceAnalysis(faces=result.faces, tags=result.face_tags)
        for label, result in zip(labels, results, strict=True)
    }
    return evaluate(found, labels)


def test_most_clear_faces_are_found(held_out_figures):
    assert held_out_figures["posters"] == 54
    assert held_out_figures["clear_recall"] >= 0.88  # measured 0.91


def test_the_count_tag_is_right_more_often_than_before(held_out_figures):
    assert held_out_figures["count_accuracy"] >= 0.47  # measured 0.50; nvxs 0.24
    assert held_out_figures["face_recall"] >= 0.46  # measured 0.50; nvxs 0.22


def test_posters_without_a_face_rarely_get_one(held_out_figures):
    assert held_out_figures["false_face"] <= 0.34  # measured 1 of the 3 held-out


def test_no_colour_is_stored_while_no_gate_makes_names_right(held_out_figures):
    # Measured names are too often wrong (docs/tagger.md): a wrong colour is not stored.
    assert held_out_figures["hair_stored"] == 0
    assert held_out_figures["eyes_stored"] == 0
