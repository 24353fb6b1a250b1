"""Procedural images for the emulator: the prompt's subjects, colours, place, time and weather
drawn from its words and the seed (reading.py, scenery.py, subjects.py); edits that apply
their words to the reference (edits.py: night, snow, "make the car blue"…; shot type → zoom,
shot angle → perspective); upscales.

Deterministic: the same (prompt, seed, style, aspect ratio, model) gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from kontextlab.emulator import edits, weather
from kontextlab.emulator.reading import read
from kontextlab.emulator.scenery import backdrop
from kontextlab.emulator.styles import Array, apply_style, blur, saturate, to_array, to_image
from kontextlab.emulator.subjects import arrange, draw_subjects, place_for, time_for

SIZES = {"16:9": (1344, 768), "9:16": (768, 1344), "1:1": (1024, 1024)}
PIXELS = 1024 * 1024  # any other "W:H" is drawn at about this many pixels...
SIDE_STEP = 32  # ...with both sides multiples of this
THUMBNAIL_BOX = (384, 384)
UPSCALE = 2  # an upscale doubles both sides
MODEL_FORMATS = {"flux": "PNG", "flux-premium": "JPEG", "nano-banana": "PNG"}
MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


@dataclass(frozen=True)
class Rendered:
    data: bytes
    mime_type: str
    width: int
    height: int
    thumbnail: bytes  # JPEG


def seed_rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def scene(prompt: str, seed: int, size: tuple[int, int], model: str) -> Image.Image:
    """The picture a prompt describes: its place and sky, its subjects, its weather."""
    rng = seed_rng("scene", prompt.strip(), seed, model)
    reading = read(prompt)
    place, time = place_for(reading), time_for(reading)
    side = -1 if rng.random() < 0.5 else 1
    colour = None
    if reading.place_colour:
        red, green, blue = reading.place_colour
        colour = (red / 255, green / 255, blue / 255)
    a, layout = backdrop(size, place, time, reading.weather, reading.season, colour, rng, side)
    placed = arrange(reading, layout, size, rng)
    img = draw_subjects(to_image(a), placed, layout, reading.season, rng)
    if not (reading.weather or reading.bright or model == "nano-banana"):
        return img
    a = to_array(img)
    if "snow" in reading.weather:
        a = weather.snowfall(weather.snow_cover(a, layout.horizon + 0.05), rng)
    if reading.weather & {"rain", "storm"}:
        a = weather.rain(a, rng)
    if "storm" in reading.weather:
        a = weather.lightning(a, rng)
    if "fog" in reading.weather:
        a = weather.fog(a)
    if reading.bright:
        a = saturate(a, 1.15) * 1.06
    if model == "nano-banana":
        a = saturate(a, 1.15)
    return to_image(a)


# ---------------------------------------------------------------- references and edits


def decode(data: bytes, at_least: tuple[int, int] | None = None) -> Image.Image:
    """An upright RGB picture. With `at_least`, a large one is decoded small (a JPEG scales
    while it is read, then `reduce()`), never below that size on either side, so memory
    follows the size the render needs rather than the upload's."""
    img: Image.Image = Image.open(io.BytesIO(data))
    side = max(at_least) if at_least else 0
    if side:
        img.draft("RGB", (side, side))  # a square box: right whichever way the EXIF turns it
    ImageOps.exif_transpose(img, in_place=True)
    img = img if img.mode == "RGB" else img.convert("RGB")
    factor = min(img.width, img.height) // side if side else 1
    return img.reduce(factor) if factor >= 2 else img


def fit(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    return ImageOps.fit(img, size, Image.Resampling.BICUBIC)


def _zoom_for(shot_type: str) -> float:
    text = shot_type.lower()
    if "extreme" in text and "close" in text:
        return 2.6
    if "close" in text:
        return 1.8
    if "medium" in text:
        return 1.3
    if "wide" in text or "long" in text or "establishing" in text:
        return 0.72
    return 1.0


def zoom(
    img: Image.Image, factor: float, rng: np.random.Generator, pan: float = 0.0
) -> Image.Image:
    """Crop in (factor > 1) or pull back (factor < 1); `pan` moves the crop down (+) or up (-)."""
    w, h = img.size
    if factor > 1:
        cw, ch = w / factor, h / factor
        cx = w / 2 + rng.uniform(-0.15, 0.15) * (w - cw)
        cy = h / 2 + float(np.clip(rng.uniform(-0.15, 0.15) + pan, -0.5, 0.5)) * (h - ch)
        box = (cx - cw / 2, cy - ch / 2, cx + cw / 2, cy + ch / 2)
        return img.resize((w, h), Image.Resampling.BICUBIC, box=box)
    if factor < 1:
        back = img.resize((w // 8, h // 8)).resize((w, h), Image.Resampling.BILINEAR)
        back = back.filter(ImageFilter.GaussianBlur(6))
        small = img.resize((int(w * factor), int(h * factor)), Image.Resampling.BICUBIC)
        back.paste(small, ((w - small.width) // 2, (h - small.height) // 2))
        return back
    return img


def _perspective_coeffs(
    src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]]
) -> list[float]:
    """Coefficients for Image.transform mapping output points `dst` to input points `src`."""
    rows, rhs = [], []
    for (x, y), (sx, sy) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -sx * x, -sx * y])
        rows.append([0, 0, 0, x, y, 1, -sy * x, -sy * y])
        rhs.extend([sx, sy])
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist()


def keystone(
    img: Image.Image, top: float, bottom: float, tilt: float = 0.0, pan: float = 0.0
) -> Image.Image:
    """Squeeze the top (top > 0) or bottom (bottom > 0) edge of the picture's content, tilt it
    by `tilt` degrees, then crop in far enough that no empty corner shows."""
    w, h = img.size
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    src = [(-top * w, 0), (w + top * w, 0), (w + bottom * w, h), (-bottom * w, h)]
    coeffs = _perspective_coeffs(src, corners)
    out = img.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", (w, h), 255).transform((w, h), Image.Transform.PERSPECTIVE, coeffs)
    if tilt:
        out, mask = out.rotate(tilt, Image.Resampling.BICUBIC), mask.rotate(tilt)
    # Empty corners get a blurred copy of the picture rather than black.
    back = img.resize((w // 8, h // 8)).resize((w, h), Image.Resampling.BILINEAR)
    out = Image.composite(out, back.filter(ImageFilter.GaussianBlur(4)), mask)
    margin = max(top, bottom) * 0.9 + abs(tilt) / 60
    return zoom(out, 1 + margin * 2, np.random.default_rng(0), pan)


def shoulder(img: Image.Image) -> Image.Image:
    """A blurred dark shoulder in the foreground, and the view turned around."""
    out = ImageOps.mirror(img)
    w, h = out.size
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse((-w * 0.25, h * 0.35, w * 0.28, h * 1.5), fill=235)
    mask = mask.filter(ImageFilter.GaussianBlur(w / 60))
    return Image.composite(Image.new("RGB", (w, h), (18, 16, 20)), out, mask)


def angle(img: Image.Image, shot_angle: str) -> Image.Image:
    if shot_angle == "low-angle":
        return keystone(img, 0.18, 0.0, tilt=-4, pan=-0.6)
    if shot_angle == "overhead":
        return keystone(img, 0.0, 0.18, pan=0.6)
    if shot_angle == "birds-eye-view":
        return keystone(img, 0.0, 0.32, tilt=15, pan=0.9)
    if shot_angle == "over-the-shoulder":
        return shoulder(img)
    return img


def light_accent(a: Array, rng: np.random.Generator) -> Array:
    """A seeded light accent: every edit differs a little, even one that names nothing."""
    h, w = a.shape[:2]
    cx, cy = rng.uniform(0.2, 0.8, 2)
    # exp(-(dx² + dy²)·8) is the product of a row and a column: one outer product, not h·w exps.
    x = np.exp(-((np.linspace(0, 1, w, dtype=np.float32) - cx) ** 2) * 8)
    y = np.exp(-((np.linspace(0, 1, h, dtype=np.float32) - cy) ** 2) * 8)
    light = np.outer(y, x)[..., None]
    color = rng.uniform(-0.12, 0.12, 3).astype(np.float32)
    return a * (1 + light * color) + light * 0.03


# ---------------------------------------------------------------- output


def mark(img: Image.Image, label: str) -> Image.Image:
    draw = ImageDraw.Draw(img, "RGBA")
    size = max(12, img.height // 48)
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
    pad = size // 2
    x = img.width - (right - left) - 3 * pad
    y = img.height - (bottom - top) - 3 * pad
    draw.rounded_rectangle(
        (x - pad, y - pad, x + right - left + pad, y + bottom + pad), pad, fill=(0, 0, 0, 140)
    )
    draw.text((x - left, y), label, font=font, fill=(255, 255, 255, 230))
    return img


def size_for(aspect_ratio: str) -> tuple[int, int]:
    """The picture's size: the LTX shapes' own, else about 1 megapixel at "W:H", both sides
    multiples of 32."""
    if aspect_ratio in SIZES:
        return SIZES[aspect_ratio]
    w, _, h = aspect_ratio.partition(":")
    ratio = int(w) / int(h)
    width = max(1, round((PIXELS * ratio) ** 0.5 / SIDE_STEP)) * SIDE_STEP
    height = max(1, round((PIXELS / ratio) ** 0.5 / SIDE_STEP)) * SIDE_STEP
    return width, height


def encode(img: Image.Image, model: str, output_format: str | None = None) -> Rendered:
    """PNG or JPEG: `output_format` ("png", "jpeg") when given, else the model's own."""
    fmt = output_format.upper() if output_format else MODEL_FORMATS.get(model, "PNG")
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=90)
    else:
        img.save(buf, "PNG", compress_level=1)
    return Rendered(buf.getvalue(), MIME_TYPES[fmt], img.width, img.height, thumbnail(img))


def thumbnail(img: Image.Image) -> bytes:
    factor = max(1, min(img.width // THUMBNAIL_BOX[0], img.height // THUMBNAIL_BOX[1]))
    small = img.reduce(factor) if factor > 1 else img.copy()
    small.thumbnail(THUMBNAIL_BOX, Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _label(seed: int, model: str) -> str:
    return f"emulator · {model} · seed {seed}"


def _finish(a: Array, seed: int, model: str, output_format: str | None = None) -> Rendered:
    return encode(mark(to_image(a), _label(seed, model)), model, output_format)


def render_create(
    prompt: str,
    seed: int,
    style: str | None = None,
    aspect_ratio: str = "16:9",
    model: str = "flux",
    reference: bytes | None = None,
    strength: int = 50,
    output_format: str | None = None,
    shot_type: str = "",
    shot_angle: str = "",
) -> Rendered:
    """The prompt's scene; a reference blended in by `strength`, the look applied, and the
    shot type and angle (where the request gives them) framing it."""
    size = size_for(aspect_ratio)
    # Flat shapes and soft gradients: drawn at half size and scaled up, in half the time.
    img = scene(prompt, seed, (size[0] // 2, size[1] // 2), model).resize(
        size, Image.Resampling.BICUBIC
    )
    if shot_type or shot_angle:
        framing = seed_rng("shot", prompt.strip(), seed, shot_type, shot_angle)
        img = angle(zoom(img, _zoom_for(shot_type), framing), shot_angle)
    if reference is None and not style:
        return encode(mark(img, _label(seed, model)), model, output_format)
    a = to_array(img)
    if reference is not None:
        ref = to_array(fit(decode(reference, size), size))
        k = 0.85 * strength / 100
        a = a * (1 - k) + ref * k
    rng = seed_rng("style", prompt.strip(), seed, style, aspect_ratio, model)
    return _finish(apply_style(a, style, rng), seed, model, output_format)


def render_edit(
    reference: bytes,
    prompt: str,
    seed: int,
    aspect_ratio: str = "16:9",
    model: str = "flux",
    shot_type: str = "",
    shot_angle: str = "",
    output_format: str | None = None,
) -> Rendered:
    """The reference, changed as the instruction says; the shot from the parameters, or
    else from the instruction's own words ("zoom out", "from above")."""
    size = size_for(aspect_ratio)
    rng = seed_rng("edit", prompt.strip(), seed, aspect_ratio, model, shot_type, shot_angle)
    shot = edits.shot_words(prompt, shot_type, shot_angle)
    img = fit(decode(reference, size), size)
    img = angle(zoom(img, _zoom_for(shot.shot_type), rng), shot.shot_angle)
    a = edits.apply(light_accent(to_array(img), rng), prompt, rng)
    if model == "flux-premium":
        a = blur(a, 0.6) * 0.3 + a * 0.7
    return _finish(a, seed, model, output_format)


def render_upscale(source: bytes) -> Rendered:
    img = decode(source)
    big = img.resize((img.width * UPSCALE, img.height * UPSCALE), Image.Resampling.LANCZOS)
    big = big.filter(ImageFilter.UnsharpMask(2, 80, 3))
    fmt = Image.open(io.BytesIO(source)).format
    return encode(big, "flux-premium" if fmt == "JPEG" else "flux")
