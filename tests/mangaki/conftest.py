from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def import_catalogue_head(folder: Path, n_works: int) -> Path:
    """Import the first ``n_works`` works of the bundled catalogue; the file imported."""
    from mangaki.catalog_import import import_catalog

    lines = (ROOT / "data" / "anime.csv").read_text(encoding="utf-8").splitlines()[: n_works + 1]
    path = folder / "head.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_catalog(path)
    return path


@pytest.fixture
def rated_catalogue(db, tmp_path):
    """The first 200 works of the bundled catalogue and 40 simulated users."""
    from mangaki.services.demo import seed_demo

    import_catalogue_head(tmp_path, 200)
    seed_demo(n_users=40, seed=5)


def activate_a_tag_head(settings, models_dir: Path) -> Path:
    """Fit a two-tag head and activate it from the host whose MODEL_DIR is ``models_dir``."""
    from tagger import heads
    from tagger.vision.head import TagHead

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6)).astype(np.float32)
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0], axis=1).astype(np.float32)
    settings.MODEL_DIR = models_dir
    path = TagHead(random_state=0).fit(X, Y, tag_names=["a", "b"]).save(heads.new_head_path())
    heads.activate(path)
    return path
