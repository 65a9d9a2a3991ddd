"""Poster loading: every bad-image class gets its own clear error; odd modes become RGB."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from tagger.vision.errors import (
    BadDimensionsError,
    EmptyPosterError,
    NotAnImageError,
    PosterError,
    PosterTooLargeError,
    TruncatedPosterError,
    UnreadablePosterError,
)
from tagger.vision.preprocess import load_poster, preprocess, resize_for_model, to_model_input


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but whose data is tiny (a decompression bomb)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def noisy_jpeg(width=200, height=300) -> bytes:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    return encoded(Image.fromarray(pixels), "JPEG", quality=90)


def test_it_rejects_zero_bytes(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(EmptyPosterError, match="empty"):
        load_poster(path)
    with pytest.raises(EmptyPosterError):
        load_poster(b"")


def test_it_rejects_text(tmp_path):
    path = tmp_path / "poster.jpg"
    path.write_text("<html>404 Not Found</html>")
    with pytest.raises(NotAnImageError, match="not an image"):
        load_poster(path)


def test_it_rejects_a_truncated_jpeg(tmp_path):
    data = noisy_jpeg()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedPosterError, match="truncated"):
        load_poster(path)


def test_it_refuses_a_png_header_bomb_without_decoding_it(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(30000, 30000))

    def decoding(self):
        raise AssertionError("pixels were decoded")

    # Decoding 900 megapixels would take seconds and gigabytes: the header must be enough.
    monkeypatch.setattr(ImageFile.ImageFile, "load", decoding)
    with pytest.raises(PosterTooLargeError, match="decompression bomb"):
        load_poster(path)


def test_an_unreadable_file_is_refused_without_naming_its_path(tmp_path):
    missing = tmp_path / "secret-folder" / "poster.jpg"
    with pytest.raises(UnreadablePosterError) as refused:
        load_poster(missing)
    assert "secret-folder" not in str(refused.value) and "/" not in str(refused.value)


@pytest.mark.parametrize("side", [5000, 10000])
def test_it_refuses_images_over_its_own_pixel_limit(side):
    # 10000^2 is in Pillow's warn-only zone, 5000^2 under it: both exceed our 16 MP limit.
    with pytest.raises(PosterTooLargeError):
        load_poster(png_header_only(side, side))


@pytest.mark.parametrize("size", [(20000, 40), (4, 4)])
def test_it_rejects_absurd_dimensions(size):
    with pytest.raises(BadDimensionsError, match=f"{size[0]}x{size[1]}"):
        load_poster(png_header_only(*size))


def test_it_refuses_image_formats_posters_do_not_come_in():
    # Pillow reads PPM (and EPS, through Ghostscript): not from an upload.
    with pytest.raises(NotAnImageError, match="format we accept"):
        load_poster(encoded(Image.new("RGB", (40, 60)), "PPM"))
    assert load_poster(encoded(Image.new("RGB", (40, 60)), "WEBP")).size == (40, 60)


def test_errors_are_poster_errors_with_a_human_message():
    with pytest.raises(PosterError) as caught:
        load_poster(b"GIF89a garbage")
    assert isinstance(caught.value, ValueError)
    assert len(str(caught.value)) > 20


def test_a_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadablePosterError, match="Cannot read"):
        load_poster(tmp_path / "nope.jpg")


def test_cmyk_jpeg_becomes_rgb():
    red_in_cmyk = Image.new("CMYK", (40, 60), (0, 255, 255, 0))
    image = load_poster(encoded(red_in_cmyk, "JPEG", quality=95))
    assert image.mode == "RGB"
    r, g, b = image.getpixel((20, 30))
    assert r > 200 and g < 60 and b < 60


def test_palette_png_transparency_is_composited_on_white():
    image = Image.new("P", (40, 40), 1)
    image.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(0, (0, 0, 20, 40))  # left half uses index 0, declared transparent
    image.info["transparency"] = 0
    loaded = load_poster(encoded(image, "PNG", transparency=0))
    assert loaded.mode == "RGB"
    assert loaded.getpixel((5, 5)) == (255, 255, 255)
    assert loaded.getpixel((30, 5)) == (0, 0, 255)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_composited_on_white(mode):
    image = Image.new(mode, (30, 30), (0, 0) if mode == "LA" else (0, 0, 0, 0))
    assert load_poster(encoded(image, "PNG")).getpixel((3, 3)) == (255, 255, 255)


def test_16_bit_greyscale_keeps_its_grey_level():
    image = Image.fromarray(np.full((30, 30), 32768, dtype=np.uint16))
    assert image.mode == "I;16"
    r, g, b = load_poster(encoded(image, "PNG")).getpixel((3, 3))
    assert r == g == b and 120 <= r <= 136


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (30, 30), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    r, g, b = load_poster(data).getpixel((15, 15))
    assert r > 200 and b < 50


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    image.paste((0, 0, 255), (20, 0, 40, 20))  # stored: red left, blue right
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    loaded = load_poster(encoded(image, "JPEG", quality=95, exif=exif.tobytes()))
    assert loaded.size == (20, 40)
    top, bottom = loaded.getpixel((10, 5)), loaded.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_it_reads_paths_bytes_and_file_objects_alike(tmp_path):
    data = noisy_jpeg(50, 70)
    path = tmp_path / "poster.jpg"
    path.write_bytes(data)
    arrays = [
        preprocess(path),
        preprocess(str(path)),
        preprocess(data),
        preprocess(io.BytesIO(data)),
    ]
    for array in arrays[1:]:
        np.testing.assert_array_equal(array, arrays[0])


def test_pad_keeps_the_whole_poster_and_crop_fills_the_square():
    poster = Image.new("RGB", (200, 300), (255, 0, 0))
    padded = np.asarray(resize_for_model(poster, 224, "pad"))
    cropped = np.asarray(resize_for_model(poster, 224, "crop"))
    assert padded.shape == cropped.shape == (224, 224, 3)
    # Portrait poster: grey bars left and right when padded, none when cropped.
    assert tuple(padded[112, 2]) == (128, 128, 128)
    assert tuple(padded[112, 112]) == (255, 0, 0)
    assert (cropped[..., 0] == 255).all()


def test_model_input_is_normalised_with_half_mean_and_std():
    array = to_model_input(Image.new("RGB", (100, 150), (255, 0, 128)))
    assert array.dtype == np.float32 and array.shape == (3, 224, 224)
    centre = array[:, 112, 112]
    np.testing.assert_allclose(centre, [1.0, -1.0, 128 / 255 * 2 - 1], atol=1e-6)
    assert array[0, 112, 2] == pytest.approx(128 / 255 * 2 - 1, abs=1e-6)  # pad value


def test_a_real_poster_loads_upright_rgb(poster_paths):
    image = load_poster(poster_paths[0])
    assert image.mode == "RGB" and 150 < image.width < 300 and image.height == 318


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_a_corrupt_exif_block_does_not_cost_the_poster():
    image = Image.new("RGB", (40, 60), (10, 200, 10))
    data = encoded(image, "JPEG", quality=95, exif=b"Exif\x00\x00MM\x00*garbage-garbage")
    loaded = load_poster(data)
    assert loaded.size == (40, 60) and loaded.getpixel((20, 30))[1] > 150
