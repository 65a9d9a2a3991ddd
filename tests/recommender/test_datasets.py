"""Loaders on tiny files written in tmp_path."""

import json

import numpy as np
import pytest

from benchmarks.shared_data import data_path
from recommender.evaluation.datasets import (
    MANGAKI_CHOICES,
    detect_scale,
    load_dataset,
)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_generic_csv_with_header_tags_and_duplicates(tmp_path):
    ratings = write(tmp_path / "r.csv", "user,item,rating\nbob,x,4\nann,y,2\nbob,x,5\nann,x,1\n")
    tags = write(tmp_path / "t.csv", "item,tag,weight\nx,space,0.5\nz,space,1\nz,mecha,1\n")
    data = load_dataset(ratings, tags_path=tags)
    assert data.user_ids.tolist() == ["ann", "bob"]
    assert data.item_ids.tolist() == ["x", "y", "z"]  # z: tagged, never rated (cold start)
    r = data.ratings
    got = sorted(zip(r.users.tolist(), r.items.tolist(), r.values.tolist(), strict=True))
    assert got == [(0, 0, 1.0), (0, 1, 2.0), (1, 0, 5.0)]  # bob's last rating of x wins
    assert data.tag_names == ["mecha", "space"]
    np.testing.assert_allclose(data.item_features.toarray(), [[0, 0.5], [0, 0], [1, 1]])
    assert data.scale.name == "stars" and data.scale.relevance == 4


def test_headerless_ten_point_csv(tmp_path):
    data = load_dataset(write(tmp_path / "r.csv", "1,10,0\n2,10,10\n2,11,7\n"), "csv")
    assert data.ratings.shape == (2, 2)
    assert (data.scale.name, data.scale.low, data.scale.high) == ("ten", 0.0, 10.0)
    assert data.item_features is None


def test_mangaki_choices_are_mapped(tmp_path):
    path = write(tmp_path / "c.csv", "user,work,choice\n1,5,favorite\n1,6,wontsee\n2,5,neutral\n")
    data = load_dataset(path)  # auto-detected from the header
    assert sorted(data.ratings.values.tolist()) == pytest.approx([-0.5, 0.1, 4.0])
    assert data.scale.name == "mangaki" and data.scale.relevance == 2.0
    with pytest.raises(ValueError, match="line 1: unknown Mangaki choice 'adore'"):
        load_dataset(write(tmp_path / "bad.csv", "1,5,adore\n"), "mangaki")


def test_movielens_folder_with_official_folds(tmp_path):
    rows = [(1, 10, 5), (1, 20, 3), (2, 10, 4), (2, 30, 1), (3, 20, 2)]
    write(tmp_path / "u.data", "".join(f"{u}\t{i}\t{r}\t881250949\n" for u, i, r in rows))
    genres = ["unknown", "Action"] + [f"G{k}" for k in range(17)]
    write(tmp_path / "u.genre", "".join(f"{g}|{k}\n" for k, g in enumerate(genres)))
    flags = {10: [0, 1] + [0] * 17, 20: [1] + [0] * 18, 30: [0] * 19, 40: [0, 1] + [0] * 17}
    items = "".join(
        f"{i}|T {i}|01-Jan-1995||url|" + "|".join(map(str, f)) + "\n" for i, f in flags.items()
    )
    (tmp_path / "u.item").write_bytes(items.replace("T 10", "Caf\xe9").encode("latin-1"))
    for k in range(1, 6):
        u, i, r = rows[k - 1]
        write(tmp_path / f"u{k}.test", f"{u}\t{i}\t{r}\t0\n")
        write(tmp_path / f"u{k}.base", "")
    data = load_dataset(tmp_path)
    assert data.ratings.shape == (3, 4)  # item 40 has genres but no rating
    assert data.item_features.shape == (4, 19)
    assert data.item_features[0].toarray()[0, genres.index("Action")] == 1.0
    assert len(data.folds) == 5
    for k, (train, test) in enumerate(data.folds):
        assert len(test) == 1 and len(train) == 4
        u, i, r = rows[k]
        assert data.user_ids[data.ratings.users[test[0]]] == u
        assert data.item_ids[data.ratings.items[test[0]]] == i
        assert data.ratings.values[test[0]] == r


def test_mangaki_fixture(tmp_path):
    records = [
        {"model": "mangaki.genre", "pk": 1, "fields": {"title": "Mecha"}},
        {"model": "mangaki.work", "pk": 3, "fields": {"title": "A", "genre": [1]}},
        {"model": "mangaki.work", "pk": 4, "fields": {"title": "B", "genre": []}},
        {"model": "mangaki.rating", "pk": 9, "fields": {"user": 2, "work": 3, "choice": "like"}},
    ]
    data = load_dataset(write(tmp_path / "seed.json", json.dumps(records)))
    assert data.ratings.values.tolist() == [MANGAKI_CHOICES["like"]]
    assert data.item_ids.tolist() == [3, 4]
    assert data.tag_names == ["Mecha"]
    assert data.item_features.toarray().tolist() == [[1.0], [0.0]]


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ([1, 2, 5], "stars"),
        ([0.5, 3.5], "half-stars"),
        ([1, 7, 10], "ten"),
        ([4, 0.1, -2], "mangaki"),
        ([0.13, 0.9], "continuous"),
    ],
)
def test_scale_detection(values, name):
    assert detect_scale(np.array(values, dtype=float)).name == name


def test_unknown_format_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown format"):
        load_dataset(tmp_path, "parquet")


SEED_DATA = data_path("mangaki", "seed_data.json")


@pytest.mark.skipif(not SEED_DATA.exists(), reason="Mangaki seed data not available")
def test_real_mangaki_seed_fixture():
    data = load_dataset(SEED_DATA)
    assert data.ratings.nnz == 187 and data.ratings.shape == (26, 10)  # 26 users rated
    assert data.scale.name == "mangaki"
    assert data.item_features.shape[0] == 10 and data.item_features.nnz > 0
    # 104 "like" ratings in the fixture, each worth 2.
    assert int((data.ratings.values == 2.0).sum()) == 104
