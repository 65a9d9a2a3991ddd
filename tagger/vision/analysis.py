"""The tagger's entry points: poster(s) in, embedding and tags out.

The site side (a Celery task) calls :func:`analyse_batch` or :func:`tag_image` and stores the
result; nothing here knows about Django.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from tagger.vision.backbone import Backbone, default_backbone
from tagger.vision.errors import PosterError
from tagger.vision.faces import Face, analyse_faces
from tagger.vision.head import TagHead
from tagger.vision.preprocess import PosterSource, load_poster, to_model_input

logger = logging.getLogger(__name__)


@dataclass
class PosterAnalysis:
    """What the tagger knows about one poster.

    ``face_tags`` and ``predicted_tags`` are ``[(tag, confidence)]``, most confident first;
    ``predicted_tags`` is empty when no tag head was given.
    """

    embedding: np.ndarray  # float32, (backbone.dim,)
    backbone: str
    size: tuple[int, int]  # width, height of the upright poster
    face_tags: list[tuple[str, float]] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)
    predicted_tags: list[tuple[str, float]] = field(default_factory=list)

    @property
    def tags(self) -> dict[str, float]:
        """Face and predicted tags merged (the higher confidence wins)."""
        merged: dict[str, float] = {}
        for name, score in [*self.face_tags, *self.predicted_tags]:
            merged[name] = max(score, merged.get(name, 0.0))
        return merged


def analyse_batch(
    images: list[PosterSource],
    head: TagHead | None = None,
    *,
    backbone: Backbone | None = None,
    faces: bool = True,
    fit: Literal["pad", "crop"] = "pad",
) -> list[PosterAnalysis | PosterError]:
    """Analyse several posters with one batched forward pass.

    A bad poster does not fail the batch: its slot holds its ``PosterError`` instead of a
    ``PosterAnalysis`` (same order as ``images``).

    >>> results = analyse_batch([b"not an image", "poster.jpg"])  # doctest: +SKIP
    >>> [type(r).__name__ for r in results]  # doctest: +SKIP
    ['NotAnImageError', 'PosterAnalysis']
    """
    backbone = backbone if backbone is not None else default_backbone()
    results: list[PosterAnalysis | PosterError] = []
    inputs, good = [], []
    for index, source in enumerate(images):
        try:
            image = load_poster(source)
        except PosterError as error:
            logger.info("Poster %d rejected: %s", index, error)
            results.append(error)
            continue
        analysis = PosterAnalysis(
            embedding=np.zeros(0, dtype=np.float32), backbone=backbone.name, size=image.size
        )
        if faces:
            face_analysis = analyse_faces(image)
            analysis.face_tags, analysis.faces = face_analysis.tags, face_analysis.faces
        inputs.append(to_model_input(image, backbone.input_size, fit))
        good.append(analysis)
        results.append(analysis)
    if not good:
        return results
    embeddings = backbone.embed(np.stack(inputs)).astype(np.float32, copy=False)
    probabilities = head.predict_proba(embeddings) if head is not None else None
    for row, analysis in enumerate(good):
        analysis.embedding = embeddings[row].copy()
        if head is not None and probabilities is not None:
            analysis.predicted_tags = head.tags_from_proba(probabilities[row])
    return results


def tag_image(
    image: PosterSource,
    head: TagHead | None = None,
    *,
    backbone: Backbone | None = None,
    faces: bool = True,
    fit: Literal["pad", "crop"] = "pad",
) -> PosterAnalysis:
    """Analyse one poster (bytes, path or binary file object); raises ``PosterError`` if bad.

    >>> analysis = tag_image("/work/shared/data/posters/images/120.jpg")  # doctest: +SKIP
    >>> analysis.embedding.shape, analysis.face_tags[:1]  # doctest: +SKIP
    ((1280,), [('two people', 1.0)])
    """
    (result,) = analyse_batch([image], head, backbone=backbone, faces=faces, fit=fit)
    if isinstance(result, PosterError):
        raise result
    return result
