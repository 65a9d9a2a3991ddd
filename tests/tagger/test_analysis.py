"""tag_image / analyse_batch: the API the site's Celery task calls."""

import numpy as np
import pytest

from tagger.vision import (
    EmptyPosterError,
    NotAnImageError,
    PosterAnalysis,
    TagHead,
    analyse_batch,
    tag_image,
)


class MeanColourBackbone:
    """A tiny stand-in backbone: shows any Backbone can be dropped in, and keeps tests fast."""

    name = "mean-colour"
    dim = 3
    input_size = 32

    def __init__(self):
        self.calls = 0

    def embed(self, batch):
        self.calls += 1
        return batch.mean(axis=(2, 3)).astype(np.float32)


def test_a_bad_poster_does_not_fail_the_batch(poster_paths):
    backbone = MeanColourBackbone()
    good = poster_paths[0]
    results = analyse_batch([good, b"", b"plain text", good.read_bytes()], backbone=backbone)
    assert isinstance(results[0], PosterAnalysis) and isinstance(results[3], PosterAnalysis)
    assert isinstance(results[1], EmptyPosterError)
    assert isinstance(results[2], NotAnImageError)
    assert backbone.calls == 1  # one forward pass for the whole batch
    np.testing.assert_array_equal(results[0].embedding, results[3].embedding)
    assert results[0].backbone == "mean-colour" and results[0].size[1] == 318


def test_a_batch_of_only_bad_posters_returns_their_errors():
    backbone = MeanColourBackbone()
    results = analyse_batch([b"", b"x"], backbone=backbone, faces=False)
    assert [type(r) for r in results] == [EmptyPosterError, NotAnImageError]
    assert backbone.calls == 0


def test_tag_image_raises_the_poster_error():
    with pytest.raises(NotAnImageError):
        tag_image(b"<html></html>", backbone=MeanColourBackbone())


def test_the_head_tags_what_it_was_trained_on(poster_paths):
    backbone = MeanColourBackbone()
    posters = poster_paths[:40]
    analyses = analyse_batch(posters, backbone=backbone, faces=False)
    X = np.stack([a.embedding for a in analyses])
    # Known answer: "bright" is exactly "mean input above the median", a linear tag.
    bright = (X.mean(axis=1) > np.median(X.mean(axis=1))).astype(int)[:, None]
    head = TagHead(alpha=1e-3, validation_fraction=0.0, backbone=backbone.name).fit(
        X, bright, tag_names=["bright"]
    )
    tagged = analyse_batch(posters, head, backbone=backbone, faces=False)
    predicted = np.array([dict(a.predicted_tags).get("bright", 0) > 0 for a in tagged])
    assert (predicted == bright[:, 0].astype(bool)).mean() >= 0.9


def test_tag_image_on_a_real_poster_with_the_real_backbone(backbone, posters_dir):
    analysis = tag_image(posters_dir / "images" / "120.jpg", backbone=backbone)
    assert analysis.embedding.shape == (1280,) and analysis.embedding.dtype == np.float32
    assert analysis.backbone == "efficientnet-lite0"
    assert dict(analysis.face_tags)["group"] > 0.5  # mean likelihood of the faces found
    assert analysis.predicted_tags == []  # no head given
    assert analysis.tags["group"] == dict(analysis.face_tags)["group"]


def test_another_backbone_gets_the_same_faces_from_the_default_one(backbone, real_poster_paths):
    posters = real_poster_paths[:6]
    ours = analyse_batch(posters, backbone=backbone)
    other = analyse_batch(posters, backbone=MeanColourBackbone())
    assert [a.face_tags for a in other] == [a.face_tags for a in ours]
    assert [len(a.faces) for a in ours] != [0] * len(posters)
    assert other[0].embedding.shape == (3,)  # its own embedding, the default's faces


def test_an_unexpected_error_in_one_poster_fails_only_that_poster(poster_paths, monkeypatch):
    from tagger.vision.errors import AnalysisFailedError

    class BreaksOnRed(MeanColourBackbone):
        def embed(self, batch):
            if ((batch[:, 0, 16, 16] > 0.9) & (batch[:, 1, 16, 16] < -0.9)).any():  # red
                raise RuntimeError("CUDA out of memory at /opt/models/x.pth")
            return super().embed(batch)

    import io

    from PIL import Image

    red = io.BytesIO()
    Image.new("RGB", (200, 300), (255, 0, 0)).save(red, "PNG")
    results = analyse_batch(
        [poster_paths[0], red.getvalue(), poster_paths[1]], backbone=BreaksOnRed(), faces=False
    )
    assert isinstance(results[0], PosterAnalysis) and isinstance(results[2], PosterAnalysis)
    assert isinstance(results[1], AnalysisFailedError)
    assert "RuntimeError" in str(results[1]) and "/opt" not in str(results[1])
