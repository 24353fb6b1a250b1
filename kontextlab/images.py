"""Image checks and conversions: reference uploads, thumbnails, file names."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ACCEPTED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
THUMBNAIL_SIZE = (384, 384)
MAX_PIXELS = 40_000_000


class BadImage(ValueError):
    """An upload we cannot use; the message is a plain sentence for the page."""


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    mime_type: str
    width: int
    height: int
    note: str | None = None  # what we changed, in plain words


def _open(data: bytes) -> Image.Image:
    if not data:
        raise BadImage("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        mb = len(data) / 1024 / 1024
        raise BadImage(f"The image is {mb:.1f} MB; the limit is 20 MB. Try a smaller file.")
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise BadImage("The image has too many pixels. Please use one under 40 megapixels.")
        image.load()
    except BadImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise BadImage(
            "This file is not an image the app can read. Use a PNG, JPEG or WebP."
        ) from None
    except (OSError, SyntaxError, ValueError):
        msg = "The image file is damaged or incomplete. Please export it again."
        raise BadImage(msg) from None
    if image.format not in ACCEPTED_FORMATS:
        raise BadImage(
            f"{image.format or 'This'} files are not supported. Use a PNG, JPEG or WebP."
        )
    return image


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA"):
        return image.getextrema()[-1][0] < 255
    return image.mode == "P" and "transparency" in image.info


def prepare_reference(data: bytes) -> PreparedImage:
    """Check an uploaded image; convert what the API may choke on (CMYK, 16-bit,
    transparency, EXIF rotation) into a plain 8-bit RGB PNG or JPEG."""
    image = _open(data)
    notes: list[str] = []
    fixed = ImageOps.exif_transpose(image)
    if fixed is not image and image.getexif().get(0x0112, 1) != 1:
        notes.append("rotated upright")
    if image.mode == "CMYK":
        notes.append("converted from CMYK to RGB")
    elif image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        notes.append("converted from 16-bit to 8-bit")
    if _has_alpha(image):
        notes.append("transparent areas filled with white")
    if not notes and image.mode in ("RGB", "L"):
        return PreparedImage(data, ACCEPTED_FORMATS[image.format], image.width, image.height)
    rgb = _flatten(fixed)
    out = io.BytesIO()
    rgb.save(out, format="PNG", optimize=False)
    note = "The image was " + ", ".join(notes) + "." if notes else None
    return PreparedImage(out.getvalue(), "image/png", rgb.width, rgb.height, note)


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = image.point(lambda v: v / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def thumbnail(data: bytes, size: tuple[int, int] = THUMBNAIL_SIZE) -> tuple[bytes, int, int]:
    """A small JPEG of an image, plus the original's width and height."""
    image = Image.open(io.BytesIO(data))
    width, height = image.size
    small = _flatten(image)
    small.thumbnail(size)
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=82)
    return out.getvalue(), width, height


def closest_aspect_ratio(width: int, height: int) -> str:
    ratio = width / max(height, 1)
    options = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}
    return min(options, key=lambda k: abs(options[k] - ratio))


def download_name(prompt: str, mime_type: str | None, seed: int | None = None) -> str:
    """A file name a person recognises: kontextlab-<prompt words>-<seed>.<ext>."""
    words = re.sub(r"[^a-z0-9]+", "-", (prompt or "image").lower()).strip("-")[:40].strip("-")
    ext = EXTENSIONS.get(mime_type or "", "png")
    tail = f"-{seed}" if seed is not None else ""
    return f"kontextlab-{words or 'image'}{tail}.{ext}"
