"""The evaluation command never shows a traceback: each bad input is one line on stderr
naming the file, the line and the fix; exit status 2 for the command line, 1 for data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recommender import evaluate
from recommender.evaluation import named_models


def run(capsys, *argv) -> tuple[int, str]:
    code = evaluate.main(["--quiet", *argv])
    err = capsys.readouterr().err.strip()
    return code, err


def one_line(err: str) -> str:
    assert err.startswith("error: "), err
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


def ratings_file(tmp_path, text, name="r.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


GOOD = "user,item,rating\n" + "\n".join(
    f"u{u},i{i},{(u * 3 + i) % 5 + 1}" for u in range(12) for i in range(10) if (u + i) % 3
)


def test_an_empty_file_is_a_data_error(tmp_path, capsys):
    code, err = run(capsys, "--data", ratings_file(tmp_path, ""), "--output", str(tmp_path / "o"))
    assert code == 1 and "r.csv: no ratings: the file is empty" in one_line(err)


def test_a_header_only_file_is_a_data_error(tmp_path, capsys):
    path = ratings_file(tmp_path, "user,item,rating\n")
    code, err = run(capsys, "--data", path, "--output", str(tmp_path / "o"))
    assert code == 1 and "no ratings after the header on line 1" in one_line(err)


def test_a_non_numeric_rating_names_its_line(tmp_path, capsys):
    path = ratings_file(tmp_path, "user,item,rating\na,x,4\nb,y,great\n")
    code, err = run(capsys, "--data", path, "--output", str(tmp_path / "o"))
    assert code == 1
    assert "r.csv line 3: rating 'great' is not a number" in one_line(err)


def test_a_headerless_first_row_with_a_bad_rating_is_not_taken_for_a_header(tmp_path, capsys):
    path = ratings_file(tmp_path, "a,x,oops\nb,y,4\nc,z,5\n")
    code, err = run(capsys, "--data", path, "--output", str(tmp_path / "o"))
    assert code == 1 and "r.csv line 1: rating 'oops' is not a number" in one_line(err)
    assert "header" in err  # says how a header line would be recognised


def test_a_missing_column_names_its_line(tmp_path, capsys):
    path = ratings_file(tmp_path, "a,x,4\nb,y\n")
    code, err = run(capsys, "--data", path, "--output", str(tmp_path / "o"))
    assert code == 1 and "r.csv line 2: 2 column(s), expected at least 3" in one_line(err)


def test_a_semicolon_file_says_to_use_commas(tmp_path, capsys):
    path = ratings_file(tmp_path, "user;item;rating\na;x;4\n")
    code, err = run(capsys, "--data", path, "--output", str(tmp_path / "o"))
    assert code == 1 and "line 1: the columns are separated by semicolons" in one_line(err)
    assert "commas" in err


def test_a_missing_path_is_a_usage_error(tmp_path, capsys):
    code, err = run(capsys, "--data", str(tmp_path / "nope.csv"))
    assert code == 2 and "--data" in one_line(err) and "no such file" in err


def test_a_folder_that_is_not_movielens_is_a_data_error(tmp_path, capsys):
    (tmp_path / "folder").mkdir()
    code, err = run(capsys, "--data", str(tmp_path / "folder"), "--output", str(tmp_path / "o"))
    assert code == 1 and "not a MovieLens 100K folder" in one_line(err)


def test_an_unknown_model_is_a_usage_error(tmp_path, capsys):
    code, err = run(capsys, "--data", ratings_file(tmp_path, GOOD), "--models", "nosuchmodel")
    assert code == 2 and "unknown model 'nosuchmodel'" in one_line(err)
    assert "baseline" in err  # lists the choices


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--cold-fraction", "1.5", "--cold-fraction 1.5 must lie in [0, 1)"),
        ("--cold-fraction", "lots", "is not a number"),
        ("--test-fraction", "0", "--test-fraction 0 must lie in (0, 1)"),
        ("--folds", "1", "--folds 1 must be at least 2"),
        ("--k", "x", "--k 'x' is not a whole number"),
    ],
)
def test_bad_option_values_are_usage_errors(tmp_path, capsys, option, value, expected):
    code, err = run(capsys, "--data", ratings_file(tmp_path, GOOD), option, value)
    assert code == 2 and expected in one_line(err)


def test_an_unknown_option_is_one_line_too(tmp_path, capsys):
    code, err = run(capsys, "--data", ratings_file(tmp_path, GOOD), "--colds", "3")
    assert code == 2 and "unrecognized arguments" in one_line(err)


def test_a_bad_tag_weight_names_its_line(tmp_path, capsys):
    tags = ratings_file(tmp_path, "item,tag,weight\ni1,space,1\ni2,mecha,1.5\n", "tags.csv")
    code, err = run(capsys, "--data", ratings_file(tmp_path, GOOD), "--tags", tags,
                    "--models", "baseline", "--output", str(tmp_path / "o"))  # fmt: skip
    assert code == 1
    assert "tags.csv line 3: tag weight '1.5' must be a number in [0, 1]" in one_line(err)


def test_lasso_without_tags_fails_before_any_model_is_fitted(tmp_path, capsys):
    out = tmp_path / "o"
    code, err = run(capsys, "--data", ratings_file(tmp_path, GOOD), "--models",
                    "baseline,lasso", "--output", str(out))  # fmt: skip
    assert code == 2 and "--models lasso needs item tags" in one_line(err)
    assert "--tags" in err
    assert not (out / "results.json").exists()


def test_the_temporal_split_without_timestamps_names_the_line(tmp_path, capsys):
    path = ratings_file(tmp_path, "user,item,rating,time\na,x,4,100\nb,y,5\nc,z,3,50\n")
    code, err = run(capsys, "--data", path, "--split", "temporal", "--output", str(tmp_path / "o"))
    assert code == 1 and "line 3 has no timestamp" in one_line(err)


def test_too_few_ratings_for_the_folds_is_a_data_error(tmp_path, capsys):
    path = ratings_file(tmp_path, "a,x,4\nb,y,5\nc,z,3\n")
    code, err = run(capsys, "--data", path, "--output", str(tmp_path / "o"))
    assert code == 1 and "3 rating(s) for 5 folds" in one_line(err)


class Broken:
    """A model that fails on fit, to check that earlier models' results are kept."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def get_params(self, deep=True):
        return {"random_state": self.random_state}

    def set_params(self, **params):
        return self

    def fit(self, ratings, item_features=None):
        raise RuntimeError("this model always fails")


def test_partial_results_are_written_as_each_model_finishes(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(named_models.MODELS, "broken", ("baseline", "Baseline", {}))
    original = named_models.model_class
    monkeypatch.setattr(
        named_models, "model_class", lambda name: Broken if name == "broken" else original(name)
    )
    out = tmp_path / "o"
    code, err = run(capsys, "--data", ratings_file(tmp_path, GOOD), "--models",
                    "baseline,broken", "--folds", "2", "--output", str(out))  # fmt: skip
    assert code == 1 and "this model always fails" in one_line(err)
    written = json.loads((out / "results.json").read_text())
    assert list(written["models"]) == ["baseline"] and written["meta"]["partial"] is True
    assert "partial" in (out / "results.md").read_text()


def test_a_good_run_reports_how_many_users_were_ranked(tmp_path, capsys):
    rng = np.random.default_rng(0)
    lines = [
        f"u{u},i{i},{rng.integers(1, 6)}"
        for u in range(30)
        for i in range(40)
        if rng.random() < 0.8
    ]
    out = tmp_path / "o"
    code, _ = run(capsys, "--data", ratings_file(tmp_path, "\n".join(lines)), "--models",
                  "baseline", "--folds", "2", "--output", str(out))  # fmt: skip
    assert code == 0
    result = json.loads((out / "results.json").read_text())
    assert result["meta"]["partial"] is False
    ranked = result["models"]["baseline"]["summary"]["ranked_users"]["mean"]
    assert 0 < ranked <= 30
    assert "ranked users" in (out / "results.md").read_text()
