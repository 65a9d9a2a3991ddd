"""The colour labels made by eye (data/poster_colours.csv) stay usable as training material."""

import csv

import pytest

from benchmarks.face_labels import COLOUR_LABELS, LABELS, read_labels
from tagger.vision.colours import EYE_PROTOTYPES, HAIR_PROTOTYPES

HAIR_NAMES = {name.removesuffix(" hair") for name in HAIR_PROTOTYPES} | {"unknown"}
EYE_NAMES = {name.removesuffix(" eyes") for name in EYE_PROTOTYPES} | {"unknown"}


@pytest.fixture(scope="module")
def colour_labels():
    return read_labels(COLOUR_LABELS)


def test_it_has_the_columns_of_the_face_labels():
    with COLOUR_LABELS.open(encoding="utf-8") as new, LABELS.open(encoding="utf-8") as old:
        assert next(csv.reader(new)) == next(csv.reader(old))


def test_every_colour_is_a_name_the_tagger_can_give(colour_labels):
    assert {x.hair for x in colour_labels} <= HAIR_NAMES
    assert {x.eyes for x in colour_labels} <= EYE_NAMES


def test_no_poster_of_the_held_out_labels_is_relabelled(colour_labels):
    ids = [x.mal_id for x in colour_labels]
    assert len(ids) == len(set(ids)) == 202
    assert not set(ids) & {x.mal_id for x in read_labels()}


def test_a_poster_without_a_face_has_no_clear_face(colour_labels):
    assert all(x.faces > 0 for x in colour_labels if x.clear_face)
    assert all(x.faces >= 0 for x in colour_labels)


def test_every_labelled_poster_is_in_the_collection(colour_labels, posters_dir):
    with (posters_dir / "index.csv").open(newline="", encoding="utf-8") as stream:
        collection = {row["mal_id"] for row in csv.DictReader(stream)}
    assert {x.mal_id for x in colour_labels} <= collection
