"""The tagger's entry points: poster(s) in, embedding and tags out.

The site side (a Celery task) calls :func:`analyse_batch` or :func:`tag_image` and stores the
result; nothing here knows about Django.

How a batch runs (measured choices, see docs/tagger.md): each poster is decoded and goes
through the backbone on its own (one image at a time costs less CPU per poster than batches of
32 on one thread); the same forward pass gives the stride-8 map from which the face proposals
pick the regions animeface searches. With a thread budget above one
(:mod:`tagger.vision.runtime`), face detection runs in helper processes while the next posters
go through the backbone.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from tagger.vision import pool
from tagger.vision.backbone import Backbone, default_backbone
from tagger.vision.errors import AnalysisFailedError, PosterError
from tagger.vision.faces import Face, FaceAnalysis, analyse_faces
from tagger.vision.head import TagHead
from tagger.vision.preprocess import PosterSource, load_poster, to_model_input
from tagger.vision.proposals import default_proposals

logger = logging.getLogger(__name__)


@dataclass
class PosterAnalysis:
    """What the tagger knows about one poster.

    ``face_tags`` and ``predicted_tags`` are ``[(tag, confidence)]``, most confident first;
    ``predicted_tags`` is empty when no tag head was given. ``tag_probabilities`` has the
    head's probability for every tag it knows, chosen or not.
    """

    embedding: np.ndarray  # float32, (backbone.dim,)
    backbone: str
    size: tuple[int, int]  # width, height of the upright poster
    face_tags: list[tuple[str, float]] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)
    predicted_tags: list[tuple[str, float]] = field(default_factory=list)
    tag_probabilities: dict[str, float] = field(default_factory=dict)

    @property
    def tags(self) -> dict[str, float]:
        """Face and predicted tags merged (the higher confidence wins)."""
        merged: dict[str, float] = {}
        for name, score in [*self.face_tags, *self.predicted_tags]:
            merged[name] = max(score, merged.get(name, 0.0))
        return merged


def _failed(index: int, what: str, error: BaseException) -> AnalysisFailedError:
    logger.exception("Poster %d: %s failed", index, what, exc_info=error)
    failure = AnalysisFailedError(
        f"The tagger failed on this poster ({what}: {type(error).__name__}); "
        "it is kept aside and can be retried."
    )
    failure.__cause__ = error
    return failure


def analyse_batch(
    images: list[PosterSource],
    head: TagHead | None = None,
    *,
    backbone: Backbone | None = None,
    faces: bool = True,
    fit: Literal["pad", "crop"] = "pad",
) -> list[PosterAnalysis | PosterError | AnalysisFailedError]:
    """Analyse several posters; one slot per poster, in the order given.

    A bad poster does not fail the batch: its slot holds its ``PosterError`` (the poster's
    fault: show it to the uploader, do not retry) or an ``AnalysisFailedError`` (anything else
    that went wrong with that poster, a crash of the face detector included).

    >>> results = analyse_batch([b"not an image", "poster.jpg"])  # doctest: +SKIP
    >>> [type(r).__name__ for r in results]  # doctest: +SKIP
    ['NotAnImageError', 'PosterAnalysis']
    """
    backbone = backbone if backbone is not None else default_backbone()
    with_maps = hasattr(backbone, "embed_with_maps")
    proposals = default_proposals() if faces and with_maps else None
    helpers = pool.face_pool() if faces else None
    results: list[PosterAnalysis | PosterError | AnalysisFailedError | None] = [None] * len(images)
    waiting: dict[int, Future] = {}  # index -> future of its faces, while helpers work
    kept: dict[int, tuple] = {}

    def faces_of(index: int, image, feature_map) -> None:
        mask = None
        if proposals is not None and feature_map is not None:
            mask = proposals.mask(feature_map, image.size, backbone.input_size)
        if helpers is not None:
            waiting[index] = helpers.submit(image, mask)
            kept[index] = (image, mask)
            return
        try:
            _set_faces(results[index], analyse_faces(image, mask=mask))
        except Exception as error:
            results[index] = _failed(index, "face detection", error)

    decoded = []  # (index, image, model input)
    for index, source in enumerate(images):
        try:
            image = load_poster(source)
            decoded.append((index, image, to_model_input(image, backbone.input_size, fit)))
        except PosterError as error:
            logger.info("Poster %d rejected: %s", index, error)
            results[index] = error
        except Exception as error:
            results[index] = _failed(index, "reading the image", error)
    if with_maps:
        # Our backbone: one poster at a time, its faces searched (by the helpers) while the
        # next one goes through the network.
        for index, image, model_input in decoded:
            try:
                embeddings, maps = backbone.embed_with_maps(model_input[None])  # type: ignore[attr-defined]
            except Exception as error:
                results[index] = _failed(index, "the image network", error)
                continue
            results[index] = _analysis(embeddings[0], backbone, image)
            if faces:
                faces_of(index, image, maps[0])
    elif decoded:
        # Another backbone: one forward pass for the batch; if it fails, one poster at a time
        # finds the poster that breaks it.
        try:
            embeddings = backbone.embed(np.stack([x for _, _, x in decoded]))
        except Exception:
            embeddings = None
        for row, (index, image, model_input) in enumerate(decoded):
            try:
                vector = (
                    embeddings[row]
                    if embeddings is not None
                    else backbone.embed(model_input[None])[0]
                )
            except Exception as error:
                results[index] = _failed(index, "the image network", error)
                continue
            results[index] = _analysis(vector, backbone, image)
            if faces:
                faces_of(index, image, None)
    for index, outcome in pool.collect(waiting, kept).items():
        analysis = results[index]
        assert isinstance(analysis, PosterAnalysis)
        if isinstance(outcome, BaseException):
            results[index] = _failed(index, "face detection", outcome)
        else:
            _set_faces(analysis, outcome)
    analysed = [r for r in results if isinstance(r, PosterAnalysis)]
    if head is not None and analysed:
        probabilities = head.predict_proba(np.stack([a.embedding for a in analysed]))
        names = [str(name) for name in head.tag_names_]
        for analysis, row in zip(analysed, probabilities, strict=True):
            analysis.predicted_tags = head.tags_from_proba(row)
            analysis.tag_probabilities = {
                name: round(float(p), 4) for name, p in zip(names, row, strict=True)
            }
    return results  # type: ignore[return-value]  # every slot was filled above


def _analysis(embedding, backbone: Backbone, image) -> PosterAnalysis:
    return PosterAnalysis(
        embedding=np.asarray(embedding, dtype=np.float32).copy(),
        backbone=backbone.name,
        size=image.size,
    )


def _set_faces(analysis, found: FaceAnalysis) -> None:
    analysis.face_tags, analysis.faces = found.tags, found.faces


def tag_image(
    image: PosterSource,
    head: TagHead | None = None,
    *,
    backbone: Backbone | None = None,
    faces: bool = True,
    fit: Literal["pad", "crop"] = "pad",
) -> PosterAnalysis:
    """Analyse one poster (bytes, path or binary file object); raises ``PosterError`` if bad.

    >>> analysis = tag_image("poster.jpg")  # doctest: +SKIP
    >>> analysis.embedding.shape, analysis.face_tags[:1]  # doctest: +SKIP
    ((1280,), [('two people', 1.0)])
    """
    (result,) = analyse_batch([image], head, backbone=backbone, faces=faces, fit=fit)
    if isinstance(result, PosterError | AnalysisFailedError):
        raise result
    return result
