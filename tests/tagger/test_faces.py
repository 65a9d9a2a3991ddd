"""animeface tags: colour naming known answers and faces found on real posters."""

import pytest

from tagger.vision.colours import EYE_PROTOTYPES, HAIR_PROTOTYPES, ColourNamer, rgb_to_lab
from tagger.vision.faces import Face, analyse_faces, colour_tags, count_tag, detect_faces
from tagger.vision.preprocess import load_poster

animeface = pytest.importorskip("animeface")


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((245, 225, 140), "blonde hair"),
        ((30, 28, 35), "black hair"),
        ((120, 78, 45), "brown hair"),
        ((70, 110, 200), "blue hair"),
        ((200, 40, 45), "red hair"),
        ((245, 160, 190), "pink hair"),
        ((130, 85, 165), "purple hair"),
        ((75, 155, 85), "green hair"),
        ((242, 242, 246), "white hair"),
        ((240, 140, 50), "orange hair"),
    ],
)
def test_hair_colours_get_their_names(rgb, name):
    assert ColourNamer(HAIR_PROTOTYPES).name(rgb)[0] == name


@pytest.mark.parametrize(
    ("rgb", "name"),
    [((60, 100, 200), "blue eyes"), ((190, 30, 40), "red eyes"), ((70, 150, 80), "green eyes")],
)
def test_eye_colours_get_their_names(rgb, name):
    assert ColourNamer(EYE_PROTOTYPES).name(rgb)[0] == name


def test_a_colour_between_two_names_is_less_certain():
    namer = ColourNamer(HAIR_PROTOTYPES)
    _, sure = namer.name((245, 225, 140))
    _, unsure = namer.name((242, 185, 95))  # between blonde and orange
    assert sure > unsure


def test_lab_of_pure_colours():
    lab = rgb_to_lab([[0, 0, 0], [255, 0, 0]])
    assert lab[0] == pytest.approx([0, 0, 0], abs=1e-6)
    assert lab[1] == pytest.approx([53.24, 80.09, 67.20], abs=0.05)  # textbook sRGB red


@pytest.mark.parametrize(
    ("count", "tag"), [(0, "no face"), (1, "solo"), (2, "two people"), (3, "group"), (5, "group")]
)
def test_face_count_tags(count, tag):
    faces = [Face((0, 0, 9, 9), 0.95, (0, 0, 0), (0, 0, 0), (0, 0, 0))] * count
    assert count_tag(faces)[0] == tag


def test_colour_confidence_scales_with_face_likelihood():
    strong = Face((0, 0, 9, 9), 1.0, (245, 225, 140), (60, 100, 200), (250, 230, 220))
    weak = Face((0, 0, 9, 9), 0.5, (245, 225, 140), (60, 100, 200), (250, 230, 220))
    assert colour_tags([strong])["blonde hair"] == pytest.approx(
        2 * colour_tags([weak])["blonde hair"]
    )


def test_fruits_basket_poster_has_three_faces_with_orange_hair(posters_dir):
    # Known answer: Kyo (orange hair), Tohru and Yuki are the three faces nvxs finds.
    analysis = analyse_faces(load_poster(posters_dir / "images" / "120.jpg"))
    assert analysis.count == 3
    tags = dict(analysis.tags)
    assert tags["group"] > 0.99
    assert tags["orange hair"] > 0.5
    for face in analysis.faces:  # boxes are in the poster's own pixels
        x, y, width, height = face.box
        assert 0 <= x and x + width <= 223 and 0 <= y and y + height <= 318


def test_faces_are_found_on_most_real_posters(poster_paths):
    sample = poster_paths[::27]  # 12 posters spread over the collection
    with_faces = sum(bool(detect_faces(load_poster(path))) for path in sample)
    assert with_faces >= len(sample) // 2


def test_upscaling_finds_faces_the_native_size_misses(posters_dir):
    image = load_poster(posters_dir / "images" / "11061.jpg")  # Hunter x Hunter, 212x318
    native = [face for face in animeface.detect(image) if face.likelihood >= 0.9]
    assert native == []
    assert len(detect_faces(image)) >= 1


def test_washed_out_eye_colours_are_still_named_by_their_hue():
    # Measured by animeface on a real poster: a dull blue averaged over the whole eye box.
    face = Face((0, 0, 9, 9), 1.0, (30, 28, 35), (79, 94, 111), (250, 230, 220))
    assert "blue eyes" in colour_tags([face])
