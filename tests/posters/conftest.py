import pytest

from benchmarks.shared_data import data_path, missing
from tests.drawn import drawn_poster

POSTERS = data_path("posters", "images")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MODEL_DIR = tmp_path / "models"
    return settings.MEDIA_ROOT


@pytest.fixture
def real_poster():
    """A real poster full of faces (Boku wa Tomodachi ga Sukunai): for what needs artwork."""
    reason = missing("posters", "images", "10719.jpg")
    if reason:
        pytest.skip(reason)
    return POSTERS / "10719.jpg"


@pytest.fixture
def poster_file(tmp_path):
    """A poster file for the pipeline's own behaviour: the real one with the shared data,
    else one drawn with Pillow."""
    if not missing("posters", "images", "10719.jpg"):
        return POSTERS / "10719.jpg"
    path = tmp_path / "drawn.jpg"
    path.write_bytes(drawn_poster(10719))
    return path
