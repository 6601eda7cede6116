"""Opening image files: every bad file gives a clear error."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from studio.errors import BadInputError
from studio.imageio import load_image, load_mask


def test_loads_formats_as_rgba(tmp_path, gradient):
    for ext in ("png", "jpg", "webp", "tif"):
        path = tmp_path / f"g.{ext}"
        Image.fromarray(gradient).save(path)
        img = load_image(path)
        assert img.pixels.shape == (48, 64, 4) and img.pixels.dtype == np.uint8
        assert np.abs(img.pixels[..., :3].astype(int) - gradient).mean() < 4
        assert len(img.sha256) == 64


def test_gray_16bit_and_alpha(tmp_path):
    gray16 = (np.arange(64 * 8).reshape(8, 64) * 100).astype(np.uint16)
    Image.fromarray(gray16).save(tmp_path / "g16.png")
    img = load_image(tmp_path / "g16.png")
    assert img.pixels.shape == (8, 64, 4) and img.pixels[..., 0].max() == round(51100 / 65535 * 255)
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 3] = 100
    Image.fromarray(rgba).save(tmp_path / "a.png")
    assert load_image(tmp_path / "a.png").pixels[0, 0, 3] == 100
    assert load_mask(tmp_path / "a.png")[0, 0] == 100


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"this is a text file, not an image\n", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "not an image|damaged"),
    ],
)
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(BadInputError, match=message):
        load_image(path)


def test_truncated_jpeg_and_png(tmp_path, gradient):
    for ext in ("jpg", "png"):
        good = tmp_path / f"good.{ext}"
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 200, 3), np.uint8)).save(good)
        cut = tmp_path / f"cut.{ext}"
        cut.write_bytes(good.read_bytes()[:-len(good.read_bytes()) // 3])
        with pytest.raises(BadInputError, match="damaged or truncated"):
            load_image(cut)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    path = tmp_path / "bomb.png"
    path.write_bytes(png)
    with pytest.raises(BadInputError, match="decompression bomb"):
        load_image(path)


def test_missing_and_folder(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(BadInputError, match="folder"):
        load_image(tmp_path)
