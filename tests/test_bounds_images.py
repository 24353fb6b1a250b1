"""Pictures are decoded within bounds: bombs are refused from their header, big uploads are
scaled down with low peak memory, and each upload is prepared once."""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Iterator

import pytest
from PIL import Image, ImageFile

from kontextlab.images import (
    BadImage,
    PreparedImage,
    decoding,
    open_image,
    prepare_reference,
    reference,
    thumbnail,
)


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit grey PNG of `width` × `height` black pixels: a few dozen kilobytes that
    decode to width × height bytes or more."""
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    chunks = (
        decoding._png_chunk(b"IHDR", header),
        decoding._png_chunk(b"IDAT", body),
        decoding._png_chunk(b"IEND", b""),
    )
    return decoding.PNG_SIGNATURE + b"".join(chunks)


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    if fmt == "PNG":
        options.setdefault("compress_level", 1)
    image.save(out, format=fmt, **options)
    return out.getvalue()


def gradient(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    return Image.linear_gradient("L").resize(size).convert(mode)


def decoded_sizes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The sizes at which pictures are decoded from now on in this test, as Pillow loads them."""
    loaded: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        loaded.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return loaded


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    reference.PREPARED.clear()
    yield
    reference.PREPARED.clear()


# ---------------------------------------------------------------- decompression bombs


@pytest.mark.parametrize(
    "size",
    [(20_000, 20_000), (9_000, 9_000)],
    ids=["far-too-big", "just-under-pillows-own-limit"],
)
def test_a_bomb_is_refused_from_its_header_everywhere(size: tuple[int, int]) -> None:
    bomb = png_bomb(*size)
    assert len(bomb) < 64 * 1024  # tiny on disk
    for decode in (open_image, prepare_reference, thumbnail):
        with pytest.raises(BadImage, match="pixels") as refused:
            decode(bomb)
        assert "Traceback" not in str(refused.value)
    with pytest.raises(BadImage, match="megapixels"):
        open_image(bomb, max_pixels=1_000)


def test_the_limit_is_a_parameter() -> None:
    small = encoded(Image.new("RGB", (100, 100)))
    assert open_image(small, max_pixels=10_000).size == (100, 100)
    with pytest.raises(BadImage, match="100 × 100 pixels"):
        open_image(small, max_pixels=9_999)


def test_a_second_header_cannot_enlarge_a_banded_png() -> None:
    data = encoded(gradient((400, 300)))
    forged = struct.pack(">IIBBBBB", 40_000, 30_000, 8, 2, 0, 0, 0)
    signature = len(decoding.PNG_SIGNATURE)
    first = signature + 8 + 13 + 4  # the real IHDR chunk ends here
    data = data[:first] + decoding._png_chunk(b"IHDR", forged) + data[first:]
    assert decoding._png_reduced(data, (400, 300), 10_000) is not None
    layout = decoding._png_layout(data)
    assert layout is not None and (layout.width, layout.height) == (400, 300)


# Files that are no usable picture, with what the sentence about each says.
UNUSABLE = {
    "empty": (b"", "empty"),
    "text": (b"plain text, no picture", "not an image the app can read"),
    "gif": (encoded(Image.new("L", (9, 9)), "GIF"), "GIF files are not supported"),
    "truncated": (encoded(gradient((400, 300)))[:300], "damaged or incomplete"),
}


@pytest.mark.parametrize(("data", "expected"), UNUSABLE.values(), ids=UNUSABLE.keys())
def test_unusable_files_get_a_plain_sentence(data: bytes, expected: str) -> None:
    with pytest.raises(BadImage, match=expected):
        prepare_reference(data)


def test_a_truncated_big_png_is_damaged_not_a_crash() -> None:
    data = encoded(gradient((5_000, 4_000)))
    with pytest.raises(BadImage, match="damaged or incomplete"):
        prepare_reference(data[: len(data) * 2 // 3])


# ---------------------------------------------------------------- big uploads


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_an_upload_over_16_megapixels_is_scaled_down_keeping_its_shape(fmt: str) -> None:
    data = encoded(gradient((6_000, 3_000)), fmt)  # 18 megapixels
    prepared = prepare_reference(data)
    assert prepared.width * prepared.height <= reference.UPLOAD_PIXELS
    assert prepared.width / prepared.height == pytest.approx(2.0, rel=0.01)
    assert prepared.note and "scaled down from 6,000 × 3,000" in prepared.note
    assert prepared.mime_type == ("image/jpeg" if fmt == "JPEG" else "image/png")
    sent = Image.open(io.BytesIO(prepared.data))
    assert sent.size == (prepared.width, prepared.height) and sent.mode == "RGB"
    assert prepared.preview and max(Image.open(io.BytesIO(prepared.preview)).size) <= 384


def test_an_upload_within_16_megapixels_is_sent_as_it_is() -> None:
    data = encoded(gradient((4_000, 3_000)), "JPEG")
    prepared = prepare_reference(data)
    assert prepared.data is data and prepared.note is None
    assert (prepared.width, prepared.height) == (4_000, 3_000)


def test_a_rotated_photo_is_turned_upright() -> None:
    exif = Image.Exif()
    exif[decoding.ORIENTATION_TAG] = 6
    data = encoded(gradient((300, 200)), "JPEG", exif=exif.tobytes())
    prepared = prepare_reference(data)
    assert (prepared.width, prepared.height) == (200, 300)
    assert prepared.note and "rotated upright" in prepared.note


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "P"])
def test_a_png_decoded_in_bands_equals_the_whole_picture_reduced(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(decoding, "PNG_BAND_BYTES", 2_000)  # many bands
    size = (301, 203)
    noise = Image.frombytes("L", size, os.urandom(size[0] * size[1]))
    picture = Image.merge("RGB", (noise, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise))
    if mode == "P":
        picture = picture.convert("P", palette=Image.Palette.ADAPTIVE)
    else:
        picture = picture.convert(mode)
    data = encoded(picture)
    whole = decoding.reducible(Image.open(io.BytesIO(data))).reduce(4)
    banded = decoding._png_reduced(data, size, 5_000)
    assert banded is not None and banded.size == whole.size
    assert banded.tobytes() == whole.tobytes()


# ---------------------------------------------------------------- prepared once


def test_an_upload_is_prepared_once_per_file(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = reference._prepare

    def counting(data: bytes, digest: str) -> PreparedImage:
        calls.append(digest)
        return real(data, digest)

    monkeypatch.setattr(reference, "_prepare", counting)
    data = encoded(Image.new("RGBA", (64, 48), (10, 20, 30, 100)))
    first, second = prepare_reference(data), prepare_reference(data)
    assert first is second and len(calls) == 1
    for _ in range(2):
        with pytest.raises(BadImage, match="not an image"):
            prepare_reference(b"not a picture at all")
    assert len(calls) == 2  # a refusal is remembered too


def test_the_prepared_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = reference.prepared_cache(entries=3, budget=10_000)
    monkeypatch.setattr(reference, "PREPARED", cache)
    files = [encoded(Image.new("RGB", (40, 30), (i, 0, 0))) for i in range(5)]
    for data in files:
        prepare_reference(data)
    assert len(cache._items) == 3
    big = encoded(Image.frombytes("L", (200, 200), os.urandom(40_000)))
    prepare_reference(big)  # over the byte budget alone: everything older goes
    assert list(cache._items) == [reference.hashlib.sha256(big).hexdigest()]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_big_upload_is_never_decoded_at_full_size(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = decoded_sizes(monkeypatch)
    prepared = prepare_reference(encoded(gradient((6_000, 4_000)), fmt))  # 24 megapixels
    assert prepared.width == 3_000
    assert loaded and max(w * h for w, h in loaded) <= reference.UPLOAD_PIXELS
