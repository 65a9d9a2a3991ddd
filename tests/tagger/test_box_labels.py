"""The boxes labelled by eye (data/poster_face_boxes.csv) and the main-face figures on them."""

from collections import Counter, defaultdict

import pytest

from benchmarks.face_labels import (
    COLOUR_LABELS,
    BoxLabel,
    main_face_figures,
    overlap,
    read_box_labels,
    read_labels,
)
from tagger.vision.faces import Face, FaceAnalysis
from tagger.vision.preprocess import load_poster


@pytest.fixture(scope="module")
def box_labels():
    return read_box_labels()


def test_every_box_is_a_poster_of_the_colour_labels(box_labels):
    labelled = {x.mal_id for x in read_labels() + read_labels(COLOUR_LABELS)}
    assert {x.mal_id for x in box_labels} <= labelled
    assert Counter(x.kind for x in box_labels) == {
        "face": 336,
        "not_face": 210,
        "main": 150,
        "main_missing": 128,
    }


def test_a_poster_has_one_main_character_at_most(box_labels):
    mains = defaultdict(list)
    for x in box_labels:
        if x.kind in ("main", "main_missing"):
            mains[x.mal_id].append(x.kind)
    assert all(len(kinds) == 1 for kinds in mains.values())


def test_boxes_are_real_boxes(box_labels):
    for x in box_labels:
        if x.kind == "main_missing":
            assert x.box is None
        else:
            assert x.box is not None and x.box[2] > 0 and x.box[3] > 0


def test_boxes_lie_on_their_posters(box_labels, posters_dir):
    sizes = {}
    for x in box_labels:
        if x.box is None:
            continue
        if x.mal_id not in sizes:
            sizes[x.mal_id] = load_poster(posters_dir / "images" / f"{x.mal_id}.jpg").size
        width, height = sizes[x.mal_id]
        left, top, w, h = x.box
        assert left >= -1 and top >= -1 and left + w <= width + 1 and top + h <= height + 1


def test_overlap_is_intersection_over_union():
    assert overlap((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert overlap((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert overlap((0, 0, 10, 10), (0, 0, 5, 10)) == pytest.approx(0.5)


def test_main_face_figures_count_found_chosen_and_false_faces():
    labels = [
        BoxLabel("1", (10, 10, 20, 20), "main"),
        BoxLabel("1", (50, 50, 40, 40), "not_face"),
        BoxLabel("2", None, "main_missing"),
        BoxLabel("3", (0, 0, 30, 30), "main"),
    ]
    found = {
        # The main face is found, but a larger "face" (lettering) is chosen for the colours.
        "1": FaceAnalysis([Face((11, 10, 20, 20), 0.9), Face((50, 52, 40, 40), 0.95)], []),
        "2": FaceAnalysis([Face((0, 0, 30, 30), 0.9)], []),  # nobody's box holds the main face
        "3": FaceAnalysis([Face((1, 1, 30, 30), 0.85)], []),
    }
    figures = main_face_figures(found, labels)
    assert figures["main_visible"] == 3
    assert figures["main_found"] == pytest.approx(2 / 3)
    assert figures["main_chosen"] == pytest.approx(1 / 3)
    assert figures["not_face_found"] == 1.0
    # A poster that was not analysed does not count.
    assert main_face_figures({"3": found["3"]}, labels)["main_visible"] == 1
