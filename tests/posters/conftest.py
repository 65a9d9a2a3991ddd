from pathlib import Path

import pytest

POSTERS = Path(__file__).resolve().parents[3] / "shared" / "data" / "posters" / "images"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MODEL_DIR = tmp_path / "models"
    return settings.MEDIA_ROOT


@pytest.fixture
def real_poster():
    path = POSTERS / "10719.jpg"  # Boku wa Tomodachi ga Sukunai: a group of characters
    if not path.is_file():
        pytest.skip("../shared/data/posters is not present")
    return path
