"""Procedural images for the emulator: a landscape drawn from the prompt and seed, edits that
visibly derive from their reference (shot type → zoom, shot angle → perspective), upscales.

Deterministic: the same (prompt, seed, style, aspect ratio, model) gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from kontextlab.emulator.styles import Array, apply_style, blur, saturate, to_array, to_image

SIZES = {"16:9": (1344, 768), "9:16": (768, 1344), "1:1": (1024, 1024)}
PIXELS = 1024 * 1024  # any other "W:H" is drawn at about this many pixels...
SIDE_STEP = 32  # ...with both sides multiples of this
THUMBNAIL_BOX = (384, 384)
UPSCALE = 2  # an upscale doubles both sides
MODEL_FORMATS = {"flux": "PNG", "flux-premium": "JPEG", "nano-banana": "PNG"}
MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}

# keyword → (sky top, sky bottom, sun, land) colours, in 0-1 RGB
PALETTES = {
    "sunset": ((0.25, 0.12, 0.35), (0.98, 0.55, 0.25), (1.0, 0.85, 0.45), (0.22, 0.10, 0.20)),
    "night": ((0.01, 0.02, 0.08), (0.08, 0.12, 0.30), (0.92, 0.93, 0.85), (0.03, 0.05, 0.10)),
    "forest": ((0.45, 0.70, 0.90), (0.80, 0.90, 0.85), (1.0, 0.97, 0.80), (0.10, 0.32, 0.14)),
    "desert": ((0.40, 0.62, 0.90), (0.95, 0.85, 0.65), (1.0, 0.95, 0.75), (0.78, 0.55, 0.30)),
    "snow": ((0.55, 0.70, 0.90), (0.92, 0.95, 1.00), (1.0, 1.0, 0.95), (0.80, 0.86, 0.95)),
    "ocean": ((0.20, 0.45, 0.80), (0.70, 0.85, 0.95), (1.0, 0.98, 0.85), (0.05, 0.25, 0.45)),
    "city": ((0.10, 0.03, 0.20), (0.70, 0.20, 0.50), (1.0, 0.40, 0.70), (0.06, 0.04, 0.12)),
}
KEYWORDS = {
    "sunset": ("sunset", "dusk", "golden", "sunrise", "dawn", "evening", "warm"),
    "night": ("night", "moon", "star", "dark", "midnight", "galaxy"),
    "forest": ("forest", "jungle", "tree", "green", "meadow", "garden", "park"),
    "desert": ("desert", "sand", "dune", "canyon", "arid"),
    "snow": ("snow", "winter", "ice", "frozen", "arctic", "glacier"),
    "ocean": ("ocean", "sea", "lake", "beach", "water", "river", "coast", "island"),
    "city": ("city", "neon", "cyber", "street", "urban", "tokyo", "skyline", "building"),
}
WATER_WORDS = ("ocean", "sea", "lake", "beach", "water", "river", "coast", "island", "reflect")
TREE_WORDS = ("forest", "jungle", "tree", "park", "garden", "pine")
CITY_WORDS = KEYWORDS["city"]


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


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _mentions(text: str, keywords: tuple[str, ...]) -> bool:
    """Whole words or their plurals and -ing forms: "trees" names a tree, "street" does not."""
    return any(word.startswith(k) for word in _words(text) for k in keywords)


def _palette(prompt: str, rng: np.random.Generator) -> tuple[Array, ...]:
    base: tuple[tuple[float, float, float] | Array, ...]
    for name, words in KEYWORDS.items():
        if _mentions(prompt, words):
            base = PALETTES[name]
            break
    else:
        hue = rng.random(3).astype(np.float32)
        base = (hue * 0.4, 0.5 + hue * 0.5, (1.0, 0.95, 0.8), hue * 0.3 + 0.05)
    jitter = rng.normal(0, 0.04, (4, 3)).astype(np.float32)
    return tuple(
        np.clip(np.array(c, dtype=np.float32) + j, 0, 1) for c, j in zip(base, jitter, strict=True)
    )


def _ridge(u: Array, rng: np.random.Generator, base: float, rough: float) -> Array:
    out = np.full_like(u, base)
    for octave in range(5):
        freq = rng.uniform(1.5, 3.0) * 2**octave
        out += rough / 2**octave * np.sin(u * freq + rng.uniform(0, 6.3))
    return out


def _coords(size: tuple[int, int]) -> tuple[Array, Array]:
    """World coordinates: y in [0, 1] top to bottom, u centred with unit height."""
    w, h = size
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    u = (np.arange(w, dtype=np.float32)[None, :] - w / 2) / h
    return y, u


def _sky(y: Array, u: Array, pal: tuple[Array, ...], rng: np.random.Generator) -> Array:
    top, bottom, sun = pal[0], pal[1], pal[2]
    img = top * (1 - y[..., None]) + bottom * y[..., None]
    img = np.broadcast_to(img, (y.shape[0], u.shape[1], 3)).copy()
    cx, cy, r = rng.uniform(-0.22, 0.22), rng.uniform(0.15, 0.45), rng.uniform(0.05, 0.10)
    d = np.sqrt((u - cx) ** 2 + (y - cy) ** 2)
    glow = np.exp(-d / (r * 2.5))[..., None] * 0.6
    disc = np.clip((r - d) * 400, 0, 1)[..., None]
    return img * (1 - disc) + sun * disc + sun * glow * (1 - disc)


def _mountains(
    img: Array, y: Array, u: Array, pal: tuple[Array, ...], rng: np.random.Generator
) -> Array:
    layers = int(rng.integers(3, 5))
    haze = pal[1]
    for i in range(layers):
        depth = (i + 1) / layers
        ridge = _ridge(u[0], rng, 0.45 + 0.35 * depth, 0.12 * (1.2 - depth))
        mask = np.clip((y - ridge[None, :]) * 300, 0, 1)[..., None]
        color = pal[3] * depth + haze * (1 - depth) * 0.8
        shade = color * (1 - 0.35 * (y - ridge[None, :]).clip(0, 1)[..., None])
        img = img * (1 - mask) + shade * mask
    return img


def _city(
    img: Array, y: Array, u: Array, pal: tuple[Array, ...], rng: np.random.Generator
) -> Array:
    w = u.shape[1]
    heights = np.repeat(rng.uniform(0.25, 0.65, w // 24 + 1), 24)[:w]
    mask = (y > 1 - heights[None, :]).astype(np.float32)[..., None]
    windows = (np.arange(w)[None, :] % 12 < 5) & (np.arange(y.shape[0])[:, None] % 16 < 7)
    lit = windows[..., None] * (rng.random((1, w, 1)) > 0.4) * pal[2] * 0.8
    return img * (1 - mask) + (pal[3] + lit) * mask


def _water(img: Array, y: Array, rng: np.random.Generator) -> Array:
    h = img.shape[0]
    line = int(h * rng.uniform(0.68, 0.78))
    reflect = img[line - 1 :: -1][: h - line] * np.array([0.72, 0.74, 0.86], dtype=np.float32)
    ripple = 0.9 + 0.1 * np.sin(np.arange(h - line, dtype=np.float32) * 1.7)[:, None, None]
    img[line:] = reflect * ripple
    return img


def _trees(
    img: Array, y: Array, u: Array, pal: tuple[Array, ...], rng: np.random.Generator
) -> Array:
    for _ in range(int(rng.integers(8, 16))):
        cx, base, tall = rng.uniform(-1, 1), rng.uniform(0.8, 1.0), rng.uniform(0.15, 0.35)
        width = tall * 0.35 * (1 - (base - y) / tall)
        mask = ((y < base) & (y > base - tall) & (np.abs(u - cx) < width))[..., None]
        img = np.where(mask, pal[3] * 0.5, img)
    return img


def scene(prompt: str, seed: int, size: tuple[int, int], model: str) -> Array:
    rng = seed_rng("scene", prompt.strip(), seed, model)
    pal = _palette(prompt, rng)
    y, u = _coords(size)
    img = _sky(y, u, pal, rng)
    if _mentions(prompt, CITY_WORDS):
        img = _city(img, y, u, pal, rng)
    else:
        img = _mountains(img, y, u, pal, rng)
    if _mentions(prompt, TREE_WORDS):
        img = _trees(img, y, u, pal, rng)
    if _mentions(prompt, WATER_WORDS):
        img = _water(img, y, rng)
    if model == "nano-banana":
        img = saturate(img, 1.15)
    return img


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


def prompt_grade(a: Array, prompt: str, rng: np.random.Generator) -> Array:
    """Push the colours toward what the edit prompt names, plus a seeded light accent."""
    for name, words in KEYWORDS.items():
        if _mentions(prompt, words):
            target = np.array(PALETTES[name][1], dtype=np.float32)
            a = a * 0.7 + target * 0.3 * (0.4 + a)
            break
    h, w = a.shape[:2]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    cx, cy = rng.uniform(0.2, 0.8, 2)
    light = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) * 8)[..., None]
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
    small = img.copy()
    small.thumbnail(THUMBNAIL_BOX, Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _finish(a: Array, seed: int, model: str, output_format: str | None = None) -> Rendered:
    return encode(mark(to_image(a), f"emulator · {model} · seed {seed}"), model, output_format)


def render_create(
    prompt: str,
    seed: int,
    style: str | None = None,
    aspect_ratio: str = "16:9",
    model: str = "flux",
    reference: bytes | None = None,
    strength: int = 50,
    output_format: str | None = None,
) -> Rendered:
    size = size_for(aspect_ratio)
    # The scene is smooth shapes: drawing it at half size and scaling up halves render time.
    half = scene(prompt, seed, (size[0] // 2, size[1] // 2), model)
    a = to_array(to_image(half).resize(size, Image.Resampling.BICUBIC))
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
    size = size_for(aspect_ratio)
    rng = seed_rng("edit", prompt.strip(), seed, aspect_ratio, model, shot_type, shot_angle)
    img = fit(decode(reference, size), size)
    img = angle(zoom(img, _zoom_for(shot_type), rng), shot_angle)
    a = prompt_grade(to_array(img), prompt, rng)
    if model == "flux-premium":
        a = blur(a, 0.6) * 0.3 + a * 0.7
    return _finish(a, seed, model, output_format)


def render_upscale(source: bytes) -> Rendered:
    img = decode(source)
    big = img.resize((img.width * UPSCALE, img.height * UPSCALE), Image.Resampling.LANCZOS)
    big = big.filter(ImageFilter.UnsharpMask(2, 80, 3))
    fmt = Image.open(io.BytesIO(source)).format
    return encode(big, "flux-premium" if fmt == "JPEG" else "flux")
