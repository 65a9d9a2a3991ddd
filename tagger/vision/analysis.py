"""The tagger's entry points: poster(s) in, embedding and tags out.

The site side (a Celery task) calls :func:`analyse_batch` or :func:`tag_image` and stores the
result; nothing here knows about Django.

How a batch runs (measured choices, see docs/tagger.md): each poster is decoded and goes
through the backbone on its own (one image at a time costs less CPU per poster than batches of
32 on one thread); the same forward pass gives the feature maps the face detector reads, so
faces cost a fraction of a millisecond more, and their colours are measured on the poster.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from tagger.vision.backbone import Backbone, default_backbone
from tagger.vision.errors import AnalysisFailedError, PosterError
from tagger.vision.face_detector import FaceDetector, default_detector
from tagger.vision.faces import Face, analyse_faces
from tagger.vision.head import TagHead
from tagger.vision.preprocess import PosterSource, load_poster, to_model_input

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
    detector = default_detector() if faces else None
    # Faces are read off EfficientNet-Lite0's maps of the padded poster: another backbone (or
    # a cropped input) gets them from a second forward pass through the default one.
    one_pass = hasattr(backbone, "embed_with_maps") and fit == "pad"
    mapper: Any = backbone if one_pass else default_backbone()
    results: list[PosterAnalysis | PosterError | AnalysisFailedError | None] = [None] * len(images)
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

    def done(index: int, image, embedding, maps) -> None:
        results[index] = _analysis(embedding, backbone, image)
        if detector is not None and maps is not None:
            _search_faces(results, index, detector, image, maps, mapper.input_size)

    if one_pass:
        # Our backbone: one poster at a time (cheapest per poster), maps from the same pass.
        for index, image, model_input in decoded:
            try:
                embeddings, maps = backbone.embed_with_maps(model_input[None])  # type: ignore[attr-defined]
            except Exception as error:
                results[index] = _failed(index, "the image network", error)
                continue
            done(index, image, embeddings[0], maps)
        return _tagged(results, head)
    # Another backbone: one forward pass for the batch; if it fails, one poster at a time finds
    # the poster that breaks it. Faces come from a pass through the default backbone.
    try:
        batch = backbone.embed(np.stack([x for _, _, x in decoded])) if decoded else None
    except Exception:
        batch = None
    for row, (index, image, model_input) in enumerate(decoded):
        try:
            vector = batch[row] if batch is not None else backbone.embed(model_input[None])[0]
            maps = None
            if detector is not None:
                maps = mapper.embed_with_maps(to_model_input(image, mapper.input_size)[None])[1]
        except Exception as error:
            results[index] = _failed(index, "the image network", error)
            continue
        done(index, image, vector, maps)
    return _tagged(results, head)


def _tagged(results: list, head: TagHead | None) -> list:
    """The results, each analysis with the head's tags and probabilities when a head is given."""
    analysed = [r for r in results if isinstance(r, PosterAnalysis)]
    if head is not None and analysed:
        probabilities = head.predict_proba(np.stack([a.embedding for a in analysed]))
        names = [str(name) for name in head.tag_names_]
        for analysis, row in zip(analysed, probabilities, strict=True):
            analysis.predicted_tags = head.tags_from_proba(row)
            analysis.tag_probabilities = {
                name: round(float(p), 4) for name, p in zip(names, row, strict=True)
            }
    return results  # every slot was filled above


def _analysis(embedding, backbone: Backbone, image) -> PosterAnalysis:
    return PosterAnalysis(
        embedding=np.asarray(embedding, dtype=np.float32).copy(),
        backbone=backbone.name,
        size=image.size,
    )


def _search_faces(results: list, index: int, detector: FaceDetector, image, maps, input_size: int):
    """Faces of poster ``index`` from its maps, set on its analysis (or its slot fails)."""
    try:
        found = detector.detect({side: m[0] for side, m in maps.items()}, image.size, input_size)
        faces = analyse_faces(
            image, [Face(box, p, eye_boxes=detector.eye_boxes(box)) for box, p in found]
        )
    except Exception as error:
        results[index] = _failed(index, "face detection", error)
        return
    results[index].face_tags, results[index].faces = faces.tags, faces.faces


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
