from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rated_catalogue(db, tmp_path):
    """The first 200 works of the bundled catalogue and 40 simulated users."""
    from mangaki.catalog_import import import_catalog
    from mangaki.services.demo import seed_demo

    lines = (ROOT / "data" / "anime.csv").read_text(encoding="utf-8").splitlines()[:201]
    path = tmp_path / "head.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_catalog(path)
    seed_demo(n_users=40, seed=5)
