from pathlib import Path

import pytest

from mangaki.catalog_import import import_catalog
from mangaki.services.demo import seed_demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def models_dir(settings, tmp_path):
    settings.MODEL_DIR = tmp_path / "models"
    return settings.MODEL_DIR


@pytest.fixture
def demo_site(db, tmp_path, models_dir):
    """The first 400 works of the bundled catalogue and 60 simulated users."""
    lines = (ROOT / "data" / "anime.csv").read_text(encoding="utf-8").splitlines()[:401]
    path = tmp_path / "head.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_catalog(path)
    seed_demo(n_users=60, seed=5)
    return path


FAST = {"n_iter": 5, "rank": 8}
