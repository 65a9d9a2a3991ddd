"""Shared fixtures: the real posters (read in place, never copied) and a small-thread backbone."""

import csv
import os
from pathlib import Path

import pytest

# The shared data sits beside the checkout (../shared/data); POSTERS_DIR points elsewhere.
POSTERS_DIR = Path(
    os.environ.get("POSTERS_DIR")
    or Path(__file__).resolve().parents[3] / "shared" / "data" / "posters"
)


@pytest.fixture(scope="session")
def posters_dir() -> Path:
    if not (POSTERS_DIR / "index.csv").is_file():
        pytest.skip(f"real posters not found at {POSTERS_DIR}")
    return POSTERS_DIR


@pytest.fixture(scope="session")
def poster_paths(posters_dir) -> list[Path]:
    with (posters_dir / "index.csv").open(newline="", encoding="utf-8") as stream:
        rows = sorted(csv.DictReader(stream), key=lambda row: row["file"])
    return [posters_dir / row["file"] for row in rows]


@pytest.fixture(scope="session")
def backbone():
    torch = pytest.importorskip("torch")
    pytest.importorskip("efficientnet_lite_pytorch")
    torch.set_num_threads(1)  # the test machine's cores are shared
    from tagger.vision.backbone import EfficientNetLite0

    return EfficientNetLite0(batch_size=8)
