"""The numpy/zlib PNG encoder: what Pillow decodes is exactly the pixels given."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from nbtrack.media.images import png_bytes
from nbtrack.media.png import encode_png


@pytest.mark.parametrize(
    ("shape", "mode"),
    [
        ((1, 1), "L"),
        ((5, 3), "L"),
        ((7, 11, 3), "RGB"),
        ((64, 48, 4), "RGBA"),
        ((2, 300, 3), "RGB"),
    ],
)
def test_pixels_survive_the_round_trip(shape: tuple[int, ...], mode: str) -> None:
    rng = np.random.default_rng(sum(shape))
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    decoded = Image.open(io.BytesIO(encode_png(pixels, mode)))
    assert decoded.mode == mode
    assert np.array_equal(np.asarray(decoded), pixels)


def test_png_bytes_uses_it_for_grey_rgb_and_rgba_and_pillow_for_the_rest() -> None:
    rgb = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    assert png_bytes(rgb) == encode_png(np.asarray(rgb), "RGB")
    palette = rgb.convert("P")
    back = Image.open(io.BytesIO(png_bytes(palette)))
    assert back.mode == "P" and np.array_equal(np.asarray(back), np.asarray(palette))
    wide = Image.fromarray(np.array([[0, 65535]], dtype=np.uint16))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(wide)))), np.asarray(wide))
