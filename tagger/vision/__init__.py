"""Pure vision part of the poster tagger: no Django, heavy libraries imported on first use.

>>> from tagger.vision import tag_image
>>> tag_image("poster.jpg").face_tags  # doctest: +SKIP
[('solo', 0.99)]
"""

from tagger.vision.analysis import PosterAnalysis, analyse_batch, tag_image
from tagger.vision.backbone import Backbone, EfficientNetLite0, default_backbone
from tagger.vision.errors import (
    BadDimensionsError,
    EmptyPosterError,
    NotAnImageError,
    PosterError,
    PosterTooLargeError,
    TruncatedPosterError,
    UnreadablePosterError,
)
from tagger.vision.face_detector import FaceDetector, default_detector
from tagger.vision.faces import Face, FaceAnalysis, analyse_faces
from tagger.vision.head import TagHead, evaluate
from tagger.vision.preprocess import load_poster, preprocess, to_model_input

__all__ = [
    "Backbone",
    "BadDimensionsError",
    "EfficientNetLite0",
    "EmptyPosterError",
    "Face",
    "FaceAnalysis",
    "FaceDetector",
    "NotAnImageError",
    "PosterAnalysis",
    "PosterError",
    "PosterTooLargeError",
    "TagHead",
    "TruncatedPosterError",
    "UnreadablePosterError",
    "analyse_batch",
    "analyse_faces",
    "default_backbone",
    "default_detector",
    "evaluate",
    "load_poster",
    "preprocess",
    "tag_image",
    "to_model_input",
]
