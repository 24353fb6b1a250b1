"""A reference upload made safe to send, prepared once per file.

An upload is checked and, where the API may choke on it (over 16 megapixels, CMYK, 16-bit,
transparency, EXIF rotation), converted into a plain 8-bit RGB PNG or JPEG. The result, or
the refusal, is kept by the file's SHA-256, so a picture sitting in the uploader is not
decoded again on every rerun.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass

from PIL import Image

from kontextlab.images.copies import (
    SIXTEEN_BIT,
    THUMBNAIL_SIZE,
    decode_limit,
    flatten,
    has_alpha,
    preview,
)
from kontextlab.images.decoding import (
    ACCEPTED_FORMATS,
    UPRIGHT,
    BadImage,
    decode_within,
    decoding,
    open_image,
    orientation,
)
from kontextlab.limited_cache import LimitedCache

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_PIXELS = 16_000_000  # larger uploads are scaled down to at most this
PREPARED_CACHE_ENTRIES = 16
PREPARED_CACHE_BYTES = 64 * 1024 * 1024
PREPARING_AT_ONCE = 2  # uploads decoded at the same time in one server process


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    mime_type: str
    width: int
    height: int
    note: str | None = None  # what we changed, in plain words
    digest: str = ""  # SHA-256 of the file as uploaded
    preview: bytes | None = None  # a small JPEG of the prepared picture


def _size(value: PreparedImage | BadImage) -> int:
    if isinstance(value, BadImage):
        return 256
    return len(value.data) + len(value.preview or b"")


def prepared_cache(entries: int, budget: int) -> LimitedCache[PreparedImage | BadImage]:
    """Prepared uploads by the digest of the file as uploaded; a refusal is kept too, so a
    bad file sitting in the uploader is not decoded again on every rerun."""
    return LimitedCache(entries, budget, size=_size)


PREPARED = prepared_cache(PREPARED_CACHE_ENTRIES, PREPARED_CACHE_BYTES)
_preparing = threading.BoundedSemaphore(PREPARING_AT_ONCE)


def prepare_reference(data: bytes) -> PreparedImage:
    """Check an uploaded picture and make it safe to send: scaled down to at most 16
    megapixels, and converted where the API may choke (CMYK, 16-bit, transparency, EXIF
    rotation) into a plain 8-bit RGB PNG or JPEG. Prepared once per file: the result (or the
    refusal) is kept by the file's SHA-256. Raises BadImage with a plain sentence."""
    digest = hashlib.sha256(data).hexdigest()
    found = PREPARED.get(digest)
    if found is None:
        try:
            found = _prepare(data, digest)
        except BadImage as exc:
            found = exc
        PREPARED.put(digest, found)
    if isinstance(found, BadImage):
        raise BadImage(str(found))
    return found


def _prepare(data: bytes, digest: str) -> PreparedImage:
    if len(data) > MAX_UPLOAD_BYTES:
        mb = len(data) / 1024 / 1024
        raise BadImage(f"The image is {mb:.1f} MB; the limit is 20 MB. Try a smaller file.")
    with _preparing:
        image = open_image(data)
        if _sendable_as_is(image):
            (width, height), mime = image.size, ACCEPTED_FORMATS[image.format or "PNG"]
            with decoding():  # decodes the whole file (small): proves it is not broken
                small = preview(decode_within(image, data, decode_limit(THUMBNAIL_SIZE)))
            return PreparedImage(data, mime, width, height, None, digest, small)
        return _converted(image, data, digest)


def _sendable_as_is(image: Image.Image) -> bool:
    small = image.width * image.height <= UPLOAD_PIXELS
    return small and image.mode in ("RGB", "L") and orientation(image) == 1


def _converted(image: Image.Image, data: bytes, digest: str) -> PreparedImage:
    original_size, mode, turn = image.size, image.mode, orientation(image)
    with decoding():
        small = decode_within(image, data, UPLOAD_PIXELS)
        notes = _notes(mode, turn, small)
        rgb = flatten(small)
        del small, image
        if turn in UPRIGHT:
            rgb = rgb.transpose(UPRIGHT[turn])
    if rgb.width * rgb.height < original_size[0] * original_size[1]:
        width, height = original_size
        notes.append(
            f"scaled down from {width:,} × {height:,} to {rgb.width:,} × {rgb.height:,} "
            f"pixels (the app sends pictures of up to {UPLOAD_PIXELS // 1_000_000} megapixels)"
        )
    encoded, mime = _encode(rgb, prefer_jpeg=_is_jpeg(data))
    note = "The image was " + ", ".join(notes) + "." if notes else None
    return PreparedImage(encoded, mime, rgb.width, rgb.height, note, digest, preview(rgb))


def _notes(mode: str, turn: int, decoded: Image.Image) -> list[str]:
    notes: list[str] = []
    if turn in UPRIGHT:
        notes.append("rotated upright")
    if mode == "CMYK":
        notes.append("converted from CMYK to RGB")
    elif mode in SIXTEEN_BIT:
        notes.append("converted from 16-bit to 8-bit")
    if has_alpha(decoded):
        notes.append("transparent areas filled with white")
    return notes


def _is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


def _encode(image: Image.Image, *, prefer_jpeg: bool) -> tuple[bytes, str]:
    """JPEG for a JPEG upload; else PNG, unless the PNG would be over the upload limit."""
    out = io.BytesIO()
    if not prefer_jpeg:
        image.save(out, format="PNG", optimize=False)
        if out.tell() <= MAX_UPLOAD_BYTES:
            return out.getvalue(), "image/png"
        out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue(), "image/jpeg"
