"""Shared fixtures: the real posters (read in place, never copied) and a small-thread backbone."""

import csv
from pathlib import Path

import pytest

from benchmarks.shared_data import data_path, missing
from tests.drawn import drawn_posters

POSTERS_DIR = data_path("posters")


@pytest.fixture(scope="session")
def posters_dir() -> Path:
    reason = missing("posters", "index.csv")
    if reason:
        pytest.skip(reason)
    return POSTERS_DIR


@pytest.fixture(scope="session")
def real_poster_paths(posters_dir) -> list[Path]:
    """The real posters (skipped without the shared data): for what only real artwork can
    tell, such as faces."""
    with (posters_dir / "index.csv").open(newline="", encoding="utf-8") as stream:
        rows = sorted(csv.DictReader(stream), key=lambda row: row["file"])
    return [posters_dir / row["file"] for row in rows]


@pytest.fixture(scope="session")
def poster_paths(tmp_path_factory) -> list[Path]:
    """Posters for the pipeline's own behaviour: the real ones when the shared data is
    there, otherwise 60 drawn with Pillow (varied colours, shapes and text at the real
    posters' size), so a fresh clone still runs the tagging pipeline end to end."""
    if not missing("posters", "index.csv"):
        with (POSTERS_DIR / "index.csv").open(newline="", encoding="utf-8") as stream:
            rows = sorted(csv.DictReader(stream), key=lambda row: row["file"])
        return [POSTERS_DIR / row["file"] for row in rows]
    return drawn_posters(tmp_path_factory.mktemp("drawn-posters"), 60)


@pytest.fixture(scope="session")
def backbone():
    torch = pytest.importorskip("torch")
    pytest.importorskip("efficientnet_lite_pytorch")
    torch.set_num_threads(1)  # the test machine's cores are shared
    from tagger.vision.backbone import EfficientNetLite0

    return EfficientNetLite0(batch_size=8)
