"""Errors raised for posters that cannot be analysed.

Every error is a :class:`PosterError` whose message can be shown to the person who uploaded
the poster, so the site side can store it on the work instead of retrying forever.
"""


class PosterError(ValueError):
    """A poster that cannot be analysed; ``str(error)`` is a human-readable reason."""


class EmptyPosterError(PosterError):
    """The poster has no bytes at all."""


class UnreadablePosterError(PosterError):
    """The poster's file could not be read (missing file, permission, I/O error)."""


class NotAnImageError(PosterError):
    """The bytes are not in any image format Pillow recognises."""


class TruncatedPosterError(PosterError):
    """The image header is valid but its data is cut short or corrupt."""


class PosterTooLargeError(PosterError):
    """The image (file size or pixel count) is too large to decode safely."""


class BadDimensionsError(PosterError):
    """The image's width, height or aspect ratio make no sense for a poster."""


class AnalysisFailedError(Exception):
    """Analysing one poster failed for a reason that is not the poster's fault (a bug, a crash
    of the face detector). ``str(error)`` names what failed without any server detail; the
    original exception, when there is one, is ``error.__cause__``."""
