"""Smaller copies of a picture: the thumbnail a history row keeps, the display copy a result
card shows. Both are decoded small (`decode_within`) and shrunk before anything is flattened,
so no full-size copy of the pixels is made."""

from __future__ import annotations

import io
from typing import cast

from PIL import Image

from kontextlab.images.decoding import (
    UPRIGHT,
    decode_within,
    decoding,
    open_image,
    orientation,
    reducible,
)

THUMBNAIL_SIZE = (384, 384)
THUMBNAIL_QUALITY = 82
DISPLAY_LONGEST = 1280  # a result card's picture, longer side, in pixels
DISPLAY_QUALITY = 85
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I", "F")


def thumbnail(data: bytes) -> tuple[bytes, int, int]:
    """A small JPEG of a picture (within THUMBNAIL_SIZE), plus the original's width and
    height. Raises BadImage (a plain sentence) for a file that is not a picture, is broken,
    or is too large."""
    image = open_image(data)
    width, height = image.size
    with decoding():
        small = preview(decode_within(image, data, decode_limit(THUMBNAIL_SIZE)))
    return small, width, height


def display_copy(data: bytes, *, longest: int = DISPLAY_LONGEST) -> bytes:
    """A copy of a picture for a result card: upright, at most `longest` pixels on its longer
    side (never enlarged), its shape kept. A JPEG, or a PNG when the picture has transparent
    pixels (a JPEG would fill them in).

    A JPEG that is already upright and within `longest` comes back as it is, once its pixels
    decoded (so a broken file is refused here, not on the page); every other picture is drawn
    again. Raises BadImage (a plain sentence) for a file that is not a PNG, JPEG or WebP, is
    broken, or is too large."""
    if longest < 1:
        raise ValueError(f"longest must be at least 1, not {longest}")
    image = open_image(data)
    turn = orientation(image)
    with decoding():
        if image.format == "JPEG" and turn == 1 and max(image.size) <= longest:
            image.load()
            return data
        box = (longest, longest)
        small = shrunk(reducible(decode_within(image, data, decode_limit(box))), box)
        if turn in UPRIGHT:
            small = small.transpose(UPRIGHT[turn])
        out = io.BytesIO()
        if has_alpha(small):
            small.convert("RGBA").save(out, format="PNG")
        else:
            flatten(small).save(out, format="JPEG", quality=DISPLAY_QUALITY)
    return out.getvalue()


def decode_limit(box: tuple[int, int]) -> int:
    """The pixels to decode for a copy that fits `box`: twice the box per side, so the last
    resize is a good one."""
    return 4 * box[0] * box[1]


def preview(image: Image.Image, box: tuple[int, int] = THUMBNAIL_SIZE) -> bytes:
    """A small JPEG, shrunk first and flattened after, so no full-size copy is made."""
    small = flatten(shrunk(reducible(image), box))
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def shrunk(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    """The picture scaled down, keeping its shape, to fit `box`; never enlarged."""
    scale = min(1.0, box[0] / image.width, box[1] / image.height)
    if scale == 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def has_alpha(image: Image.Image) -> bool:
    """True when some pixel is not fully opaque."""
    if image.mode in ("RGBA", "LA", "PA"):
        # cast: these modes have several bands, so one (min, max) pair per band.
        bands = cast("tuple[tuple[int, int], ...]", image.getextrema())
        return bands[-1][0] < 255
    return image.mode == "P" and "transparency" in image.info


def flatten(image: Image.Image) -> Image.Image:
    """Plain 8-bit RGB: transparent areas on white, 16-bit and other modes converted."""
    if image.mode in SIXTEEN_BIT:
        image = image.point(lambda v: v / 256).convert("L")
    if image.mode in ("LA", "PA", "P"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")
