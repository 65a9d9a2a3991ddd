"""Posters drawn with Pillow, for tests that need real image files but not real artwork:
a fresh clone without the shared data still runs the poster pipeline end to end."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np


def drawn_poster(seed: int, size: tuple[int, int] = (214, 318)) -> bytes:
    """A JPEG poster drawn from ``seed``: a background, a few shapes and a title."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    background = tuple(int(v) for v in rng.integers(0, 256, 3))
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    width, height = size
    for _ in range(int(rng.integers(3, 9))):
        x0, y0 = int(rng.integers(0, width - 30)), int(rng.integers(0, height - 30))
        box = (x0, y0, x0 + int(rng.integers(20, 120)), y0 + int(rng.integers(20, 160)))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    draw.text((12, height - 28), f"Poster {seed}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def drawn_posters(folder: Path, n: int) -> list[Path]:
    """``n`` drawn posters written to ``folder`` as ``0.jpg``, ``1.jpg``..."""
    paths = []
    for index in range(n):
        path = folder / f"{index}.jpg"
        path.write_bytes(drawn_poster(index))
        paths.append(path)
    return paths
