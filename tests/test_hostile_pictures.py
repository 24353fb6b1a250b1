"""The checks every stored picture and address passes before the app keeps or shows it."""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import pytest
from PIL import Image

from kontextlab.untrusted import open_picture, readable_picture, small_jpeg, web_url


def picture(size: tuple[int, int] = (64, 48), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    image = Image.new(mode, size, 0)
    if mode == "RGB":
        image = Image.effect_noise(size, 60).convert("RGB")  # so that a cut loses pixels
    image.save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_the_pictures_the_app_makes_and_receives_are_readable(fmt: str) -> None:
    assert readable_picture(picture(fmt=fmt))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a picture",
        picture()[: len(picture()) // 2],
        picture(fmt="BMP"),
        picture(fmt="TIFF"),
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        picture((7000, 6000), mode="1"),  # 42 MP: over the limit
        "a string",
        None,
    ],
    ids=["empty", "text", "truncated", "bmp", "tiff", "svg", "bomb", "str", "none"],
)
def test_what_is_not_a_picture_the_app_shows_is_refused(data: object) -> None:
    assert open_picture(data) is None
    assert small_jpeg(data) is None


def test_a_large_picture_with_transparency_becomes_a_small_jpeg() -> None:
    small = small_jpeg(picture((3000, 1000), mode="RGBA"))
    assert small is not None
    image = Image.open(io.BytesIO(small))
    assert image.format == "JPEG" and image.size == (384, 128) and image.mode == "RGB"


@pytest.mark.parametrize(
    "url", ["https://cdn.example.com/a.png?sig=1", "http://127.0.0.1:8799/_files/a.png"]
)
def test_web_addresses_pass(url: str) -> None:
    assert web_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "/etc/passwd",
        "C:\\secret.png",
        "a.png",
        "//evil.example/a.png",
        "https://",
        "https://evil.example/a b.png",
        "https://evil.example/\nheader",
        "http://[::1",
        "http://host:port/",
        "https://e.example/" + "a" * 5000,
        None,
        42,
    ],
)
def test_other_addresses_are_refused(url: object) -> None:
    assert web_url(url) is None


def claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims another size (a decompression bomb's trick)."""
    png = picture((8, 8))
    header = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + header + struct.pack(">I", zlib.crc32(header)) + png[33:]


@pytest.mark.parametrize(
    "size", [(9_000, 5_000), (10_000, 10_000), (20_000, 20_000)], ids=["45MP", "100MP", "400MP"]
)
def test_a_picture_over_the_pixel_limit_is_refused_before_it_is_decoded(
    size: tuple[int, int],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        assert open_picture(claiming(*size)) is None
    with warnings.catch_warnings():  # where Pillow's warning is turned into an error
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert open_picture(claiming(*size)) is None
