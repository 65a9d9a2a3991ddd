"""Poster loading and preprocessing with Pillow only (no torchvision).

``load_poster`` turns bytes, a path or a file object into a safe, upright RGB image, raising a
:class:`~tagger.vision.errors.PosterError` subclass for anything that is not a usable poster.
``to_model_input`` turns that image into the backbone's input array.

Resizing policy: **pad** by default. The image is scaled so that its longer side is 224 pixels
(aspect ratio kept) and centred on a mid-grey square, which becomes 0.0 after normalisation.
Posters are portrait (about 2:3), and a centre crop would cut the top and bottom sixth, where
titles and characters' heads often are. ``fit="crop"`` (shorter side to 224, centre crop) is
available for comparison; the benchmark reports both.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import warnings
from pathlib import Path
from typing import IO, Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tagger.vision.errors import (
    BadDimensionsError,
    EmptyPosterError,
    NotAnImageError,
    PosterTooLargeError,
    TruncatedPosterError,
    UnreadablePosterError,
)

logger = logging.getLogger(__name__)

PosterSource = bytes | bytearray | memoryview | str | os.PathLike | IO[bytes]

INPUT_SIZE = 224
MEAN = 0.5
STD = 0.5
# A 4K x 4K image is already far above any poster; refusing more keeps a worker's memory
# bounded (decoding 30000 x 30000 RGB would need 2.7 GB).
MAX_PIXELS = 16_000_000
MAX_BYTES = 40 * 1024 * 1024
MAX_ASPECT_RATIO = 10.0
MIN_SIDE = 8
_PAD_VALUE = (128, 128, 128)
# Formats a poster comes in. Others are refused: Pillow's EPS reader, for one, runs Ghostscript
# on the uploaded file, which no web upload should trigger.
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")  # JPEG covers MPO (camera) files


def _read_bytes(source: PosterSource, max_bytes: int) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise PosterTooLargeError(
                    f"The poster file is {size:,} bytes; the limit is {max_bytes:,}."
                )
            data = path.read_bytes()
        except PosterTooLargeError:
            raise
        except OSError as error:
            # The path stays out of the message: it may be shown to the uploader.
            raise UnreadablePosterError(
                f"Cannot read the poster file ({error.strerror or type(error).__name__})."
            ) from error
    elif hasattr(source, "read"):
        # Reading one byte past the limit tells "too large" apart from "exactly the limit".
        data = source.read(max_bytes + 1)
        if not isinstance(data, bytes):
            raise TypeError("the file object must be opened in binary mode")
    else:
        raise TypeError(f"cannot read a poster from {type(source).__name__}")
    if not data:
        raise EmptyPosterError("The poster file is empty (zero bytes).")
    if len(data) > max_bytes:
        raise PosterTooLargeError(f"The poster file is larger than {max_bytes:,} bytes.")
    return data


def _check_dimensions(width: int, height: int, max_pixels: int) -> None:
    if width < MIN_SIDE or height < MIN_SIDE:
        raise BadDimensionsError(
            f"The image is {width}x{height} pixels; a poster needs at least "
            f"{MIN_SIDE} pixels on each side."
        )
    if width * height > max_pixels:
        raise PosterTooLargeError(
            f"The image is {width}x{height} = {width * height:,} pixels; the limit is "
            f"{max_pixels:,} pixels (it could be a decompression bomb)."
        )
    if max(width, height) / min(width, height) > MAX_ASPECT_RATIO:
        raise BadDimensionsError(
            f"The image is {width}x{height} pixels, an aspect ratio beyond "
            f"{MAX_ASPECT_RATIO:g}:1 that no poster has."
        )


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> RGB, compositing transparency on white."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        # Pillow's own conversion clips 16-bit values at 255 (an all-white poster), so rescale.
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if values.max(initial=0.0) > 255 else 255.0
        grey = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
        image = Image.fromarray(grey)  # uint8 2-D -> mode "L"
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode != "RGB":
        return image.convert("RGB")
    return image


def load_poster(
    source: PosterSource, *, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES
) -> Image.Image:
    """Open a poster safely and return it upright, in RGB, fully decoded.

    Animated images give their first frame; EXIF orientation is applied; transparency is
    composited on white. Raises a ``PosterError`` subclass for bad input.

    >>> load_poster("../shared/data/posters/images/120.jpg").size  # doctest: +SKIP
    (223, 318)
    """
    data = _read_bytes(source, max_bytes)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=FORMATS)
            # Image.open reads only the header: check the size before decoding any pixel.
            _check_dimensions(image.width, image.height, max_pixels)
            image.seek(0)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PosterTooLargeError(
            f"The image is too large to decode safely (decompression bomb): {error}"
        ) from error
    except UnidentifiedImageError as error:
        raise NotAnImageError(
            "The file is not an image in a format we accept (JPEG, PNG, GIF, WebP, BMP, TIFF)."
        ) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        if isinstance(error, BadDimensionsError | PosterTooLargeError):
            raise
        # Pillow reports cut-short and corrupt data as OSError/SyntaxError/EOFError.
        raise TruncatedPosterError(
            f"The image file is truncated or corrupt and cannot be decoded ({error})."
        ) from error
    try:
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError, struct.error) as error:
        # A corrupt EXIF block should not cost the poster: keep it as stored.
        logger.warning("Ignoring unreadable EXIF orientation: %s", error)
    try:
        return _to_rgb(image)
    except (OSError, ValueError) as error:
        raise NotAnImageError(
            f"The image's colour mode {image.mode!r} cannot be converted to RGB."
        ) from error


def resize_for_model(
    image: Image.Image, size: int = INPUT_SIZE, fit: Literal["pad", "crop"] = "pad"
) -> Image.Image:
    """Resize an RGB image to ``size`` x ``size`` keeping its aspect ratio.

    ``fit="pad"`` shows the whole image on a grey square; ``fit="crop"`` fills the square and
    cuts the centre.

    >>> resize_for_model(Image.new("RGB", (200, 300)), 224).size
    (224, 224)
    """
    width, height = image.size
    if fit == "pad":
        scale = size / max(width, height)
    elif fit == "crop":
        scale = size / min(width, height)
    else:
        raise ValueError(f"fit must be 'pad' or 'crop', not {fit!r}")
    new_w = max(1, round(width * scale))
    new_h = max(1, round(height * scale))
    resized = image.resize((new_w, new_h), Image.Resampling.BICUBIC, reducing_gap=3.0)
    if fit == "crop":
        left, top = (new_w - size) // 2, (new_h - size) // 2
        return resized.crop((left, top, left + size, top + size))
    canvas = Image.new("RGB", (size, size), _PAD_VALUE)
    canvas.paste(resized, ((size - new_w) // 2, (size - new_h) // 2))
    return canvas


def to_model_input(
    image: Image.Image, size: int = INPUT_SIZE, fit: Literal["pad", "crop"] = "pad"
) -> np.ndarray:
    """RGB image -> float32 array of shape (3, size, size) normalised to [-1, 1].

    Normalisation is (x / 255 - 0.5) / 0.5, what EfficientNet-Lite was trained with.

    >>> to_model_input(Image.new("RGB", (10, 10), (255, 255, 255))).max()
    np.float32(1.0)
    """
    square = resize_for_model(image.convert("RGB"), size, fit)
    pixels = np.asarray(square, dtype=np.float32) / 255.0
    return np.ascontiguousarray(((pixels - MEAN) / STD).transpose(2, 0, 1))


def preprocess(
    source: PosterSource, size: int = INPUT_SIZE, fit: Literal["pad", "crop"] = "pad"
) -> np.ndarray:
    """Load a poster and return the backbone's input array (3, size, size), float32.

    >>> preprocess(open("poster.jpg", "rb")).shape  # doctest: +SKIP
    (3, 224, 224)
    """
    return to_model_input(load_poster(source), size, fit)
