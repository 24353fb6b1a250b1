"""Opening and decoding pictures within limits.

Every picture is opened through `open_image`, which reads only the file's header and refuses
one that would decode to more pixels than allowed: a "decompression bomb" of a few kilobytes
can declare 20,000 × 20,000 pixels and unpack to more than a gigabyte. Large pictures are then
decoded small where the format allows it (`decode_within`): JPEG through `draft()` (the decoder
scales while it reads), 8-bit PNG a band of rows at a time, everything else with `reduce()`
right after loading.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

ACCEPTED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000  # the most pixels the app decodes at all
NOT_AN_IMAGE = "This file is not an image the app can read. Use a PNG, JPEG or WebP."
DAMAGED = "The image file is damaged or incomplete. Please export it again."
# Signatures of common formats the app does not take, so the message can name them.
OTHER_FORMATS = (
    (0, b"GIF8", "GIF"),
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"),
)
ORIENTATION_TAG = 0x0112
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class BadImage(ValueError):
    """A picture we cannot use; the message is a plain sentence for the page."""


# ---------------------------------------------------------------- opening, guarded


def open_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The picture in `data`, opened lazily (header only, nothing decoded yet). Raises
    BadImage with a plain sentence when it is not a PNG, JPEG or WebP, or when it would
    decode to more than `max_pixels` pixels."""
    if not data:
        raise BadImage("The file is empty.")
    try:
        image = Image.open(io.BytesIO(data), formats=tuple(ACCEPTED_FORMATS))
    except Image.DecompressionBombError:
        raise BadImage(_too_many_pixels(None, max_pixels)) from None
    except UnidentifiedImageError:
        other = _other_format(data)
        if other:
            raise BadImage(f"{other} files are not supported. Use a PNG, JPEG or WebP.") from None
        raise BadImage(NOT_AN_IMAGE) from None
    except (OSError, SyntaxError, ValueError, struct.error):
        raise BadImage(DAMAGED) from None
    if image.width * image.height > max_pixels:
        raise BadImage(_too_many_pixels(image.size, max_pixels))
    return image


def _too_many_pixels(size: tuple[int, int] | None, limit: int) -> str:
    most = f"{limit / 1_000_000:g} megapixels"
    if size is None:
        return f"The image has far too many pixels. Please use one under {most}."
    width, height = size
    return (
        f"The image is {width:,} × {height:,} pixels ({width * height / 1_000_000:,.0f} "
        f"megapixels); the app reads pictures up to {most}. Please use a smaller one."
    )


def _other_format(data: bytes) -> str | None:
    return next((name for at, sig, name in OTHER_FORMATS if data[at : at + len(sig)] == sig), None)


@contextmanager
def decoding() -> Iterator[None]:
    """Turn a decoder's complaint about a broken file into a plain sentence."""
    try:
        yield
    except BadImage:
        raise
    except (OSError, SyntaxError, ValueError, struct.error, zlib.error, EOFError):
        raise BadImage(DAMAGED) from None


def orientation(image: Image.Image) -> int:
    """The EXIF orientation found in the header (1: upright). Not `getexif()`: for a PNG it
    decodes the whole picture to look for EXIF after the pixels."""
    raw = image.info.get("exif")
    if not raw:
        return 1
    try:
        exif = Image.Exif()
        exif.load(raw)
        value = exif.get(ORIENTATION_TAG, 1)
    except (OSError, SyntaxError, ValueError, struct.error):
        return 1
    return value if value in UPRIGHT else 1


# ---------------------------------------------------------------- decoding small


def _factor(width: int, height: int, limit: int) -> int:
    """The smallest whole factor that brings width × height to at most `limit` pixels."""
    factor = max(1, math.ceil(math.sqrt(width * height / limit)))
    while math.ceil(width / factor) * math.ceil(height / factor) > limit:
        factor += 1
    return factor


def decode_within(image: Image.Image, data: bytes, limit: int) -> Image.Image:
    """The opened picture decoded at no more than `limit` pixels, never holding the full-size
    pixels where the format lets us avoid it (JPEG, 8-bit PNG)."""
    width, height = image.size
    if width * height <= limit:
        image.load()
        return image
    if image.format == "JPEG":
        # The decoder scales by 1/2, 1/4 or 1/8 while reading: ask for no less than half the
        # target per side, so the result lands between a quarter of the limit and the limit.
        scale = math.sqrt(limit / (width * height)) / 2
        image.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
        image.load()
    elif image.format == "PNG" and (banded := _png_reduced(data, image.size, limit)):
        return banded
    else:
        image.load()
    if image.width * image.height <= limit:
        return image
    reduced = reducible(image).reduce(_factor(image.width, image.height, limit))
    image.close()  # frees the full-size pixels now, though the caller still holds `image`
    return reduced


def reducible(image: Image.Image) -> Image.Image:
    """`reduce()` averages pixel values: palette and 16-bit pictures need converting first."""
    if image.mode == "P":
        return image.convert("RGBA")
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("I;16", "I;16B", "I;16L"):
        return image.convert("I")
    return image


# ---------------------------------------------------------------- PNG, a band at a time

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type → samples per pixel
PNG_RAWMODES = {0: "L", 2: "RGB", 3: "P", 4: "LA", 6: "RGBA"}
PNG_BAND_BYTES = 4 * 1024 * 1024  # filtered scanline bytes decoded at once


@dataclass(frozen=True)
class _PngLayout:
    width: int
    height: int
    color: int
    extras: bytes  # the PLTE and tRNS chunks, verbatim: every band needs them
    idat: tuple[tuple[int, int], ...]  # (start, length) of each IDAT chunk's data

    @property
    def stride(self) -> int:
        return 1 + self.width * PNG_CHANNELS[self.color]


def _png_layout(data: bytes) -> _PngLayout | None:
    """Where an 8-bit, non-interlaced PNG keeps its pixels; None for any other PNG."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    pos, header, extras, idat = len(PNG_SIGNATURE), None, [], []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        start = pos + 8
        if kind == b"IHDR" and length == 13 and header is None:
            header = struct.unpack(">IIBBBBB", data[start : start + 13])
        elif kind in (b"PLTE", b"tRNS"):
            extras.append(data[pos : start + length + 4])
        elif kind == b"IDAT":
            idat.append((start, length))
        elif kind == b"IEND":
            break
        pos = start + length + 4
    if header is None or not idat:
        return None
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or interlace or color not in PNG_CHANNELS:
        return None
    return _PngLayout(width, height, color, b"".join(extras), tuple(idat))


def _png_bands(data: bytes, layout: _PngLayout, rows: int) -> Iterator[bytes]:
    """The image's filtered scanlines, `rows` at a time, inflated with bounded output."""
    want, left = layout.stride * rows, layout.stride * layout.height
    inflate, pending, view = zlib.decompressobj(), bytearray(), memoryview(data)
    for start, length in layout.idat:
        chunk: bytes | memoryview = view[start : start + length]
        while chunk and left > 0:
            pending += inflate.decompress(chunk, want)
            chunk = inflate.unconsumed_tail
            while len(pending) >= min(want, left):
                size = min(want, left)
                yield bytes(pending[:size])
                del pending[:size]
                left -= size
                if left == 0:
                    return
    pending += inflate.flush()
    if len(pending) < left:
        raise BadImage(DAMAGED)
    yield bytes(pending[:left])


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_band(layout: _PngLayout, previous: bytes | None, scanlines: bytes) -> Image.Image:
    """Decode some scanlines as a PNG of their own. Their filters may refer to the row above,
    so the band starts with that row, unfiltered (filter type 0), and it is cropped off."""
    body = scanlines if previous is None else b"\x00" + previous + scanlines
    height = len(body) // layout.stride
    header = struct.pack(">IIBBBBB", layout.width, height, 8, layout.color, 0, 0, 0)
    png = b"".join(
        (
            PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            layout.extras,
            _png_chunk(b"IDAT", zlib.compress(body, 0)),
            _png_chunk(b"IEND", b""),
        )
    )
    band = Image.open(io.BytesIO(png), formats=("PNG",))
    band.load()
    return band if previous is None else band.crop((0, 1, layout.width, height))


def _png_reduced(data: bytes, size: tuple[int, int], limit: int) -> Image.Image | None:
    """An 8-bit PNG of `size` (as its header said when opened) reduced to at most `limit`
    pixels without ever holding its full-size pixels: a band of rows is decoded, reduced and
    pasted at a time. None when the PNG is not of that kind."""
    layout = _png_layout(data)
    if layout is None or (layout.width, layout.height) != size:
        return None
    factor = _factor(layout.width, layout.height, limit)
    rows = max(factor, PNG_BAND_BYTES // layout.stride // factor * factor)
    out: Image.Image | None = None
    previous: bytes | None = None
    top = 0
    for scanlines in _png_bands(data, layout, rows):
        band = _png_band(layout, previous, scanlines)
        last = band.crop((0, band.height - 1, band.width, band.height))
        previous = last.tobytes("raw", PNG_RAWMODES[layout.color])
        small = reducible(band).reduce(factor)
        if out is None:
            size = (math.ceil(layout.width / factor), math.ceil(layout.height / factor))
            out = Image.new(small.mode, size)
        out.paste(small, (0, top))
        top += small.height
    return out
