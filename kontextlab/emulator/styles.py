"""The 16 vendor styles as quick numpy/Pillow looks, each visibly different from the others.

Images are float32 arrays of shape (height, width, 3) with values in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

Array = np.ndarray
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_image(a: Array) -> Image.Image:
    return Image.fromarray((np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8))


def to_array(img: Image.Image) -> Array:
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


def luma(a: Array) -> Array:
    return a @ LUMA


def gray(a: Array) -> Array:
    return np.repeat(luma(a)[..., None], 3, axis=2)


def blur(a: Array, radius: float) -> Array:
    return to_array(to_image(a).filter(ImageFilter.GaussianBlur(radius)))


def saturate(a: Array, k: float) -> Array:
    g = luma(a)[..., None]
    return g + (a - g) * k


def contrast(a: Array, k: float, mid: float = 0.5) -> Array:
    return (a - mid) * k + mid


def posterize(a: Array, levels: int) -> Array:
    return np.round(np.clip(a, 0, 1) * (levels - 1)) / (levels - 1)


def edges(a: Array) -> Array:
    """Gradient magnitude of the luminance, roughly in [0, 1]."""
    y = luma(a)
    gx = np.zeros_like(y)
    gy = np.zeros_like(y)
    gx[:, 1:-1] = y[:, 2:] - y[:, :-2]
    gy[1:-1, :] = y[2:, :] - y[:-2, :]
    return np.clip(np.sqrt(gx * gx + gy * gy) * 4.0, 0, 1)


def vignette(a: Array, strength: float) -> Array:
    h, w = a.shape[:2]
    y = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    v = 1 - strength * np.clip((x * x + y * y) / 2, 0, 1) ** 1.2
    return a * v[..., None]


def grain(a: Array, rng: np.random.Generator, amount: float) -> Array:
    h, w = a.shape[:2]
    noise = rng.standard_normal((h // 2 + 1, w // 2 + 1), dtype=np.float32)
    noise = np.repeat(np.repeat(noise, 2, axis=0), 2, axis=1)[:h, :w]
    return a + noise[..., None] * amount


def tint(a: Array, color: tuple[float, float, float], k: float) -> Array:
    return a * (1 - k) + np.array(color, dtype=np.float32) * k * (0.3 + luma(a)[..., None])


def grade(a: Array, shadows: tuple[float, ...], highlights: tuple[float, ...]) -> Array:
    y = luma(a)[..., None]
    lo = np.array(shadows, dtype=np.float32)
    hi = np.array(highlights, dtype=np.float32)
    return a + lo * (1 - y) + hi * y


def paper(a: Array, rng: np.random.Generator, color: tuple[float, float, float]) -> Array:
    base = np.broadcast_to(np.array(color, dtype=np.float32), a.shape)
    return grain(base, rng, 0.02)


def hatching(a: Array, spacing: int, angle_sign: int = 1) -> Array:
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    return ((xx + angle_sign * yy) % spacing < 1.6).astype(np.float32)


# ---------------------------------------------------------------- the styles


def cinematic(a: Array, rng: np.random.Generator) -> Array:
    out = grade(contrast(a, 1.15), (-0.02, 0.06, 0.10), (0.10, 0.03, -0.08))
    out = vignette(out, 0.35)
    bar = out.shape[0] // 9
    out[:bar] = 0
    out[-bar:] = 0
    return out


def vintage(a: Array, rng: np.random.Generator) -> Array:
    y = luma(a)[..., None]
    sepia = y * np.array([1.07, 0.86, 0.62], dtype=np.float32)
    out = 0.15 + 0.75 * (0.8 * sepia + 0.2 * a)
    return grain(vignette(out, 0.55), rng, 0.05)


def low_key(a: Array, rng: np.random.Generator) -> Array:
    out = np.clip(contrast(a, 1.5, 0.65), 0, 1) ** 1.6
    return vignette(out, 0.9)


def indy(a: Array, rng: np.random.Generator) -> Array:
    out = saturate(a, 0.8) * 0.75 + 0.12
    out = grade(out, (-0.04, 0.10, 0.08), (0.10, 0.06, -0.06))
    w = a.shape[1]
    leak = np.clip(1 - np.linspace(0, 2.5, w, dtype=np.float32), 0, 1)[None, :, None]
    return out + leak * np.array([0.35, 0.12, 0.0], dtype=np.float32)


def y2k(a: Array, rng: np.random.Generator) -> Array:
    out = saturate(a, 1.4)
    shift = max(4, a.shape[1] // 160)
    out[..., 0] = np.roll(out[..., 0], shift, axis=1)
    out[..., 2] = np.roll(out[..., 2], -shift, axis=1)
    out = grade(out, (0.10, -0.02, 0.18), (0.05, 0.08, 0.12))
    out[::4] *= 0.72
    return out


def pop(a: Array, rng: np.random.Generator) -> Array:
    out = posterize(saturate(contrast(a, 1.3), 2.2), 3)
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    dots = ((xx % 10 - 5) ** 2 + (yy % 10 - 5) ** 2 < 6).astype(np.float32)
    return out * (1 - 0.25 * dots[..., None] * (1 - luma(out)[..., None]))


def grunge(a: Array, rng: np.random.Generator) -> Array:
    out = saturate(a, 0.35) * 0.95 + 0.05
    h, w = a.shape[:2]
    dirt = rng.random((h // 24 + 2, w // 24 + 2), dtype=np.float32)
    dirt = np.asarray(
        Image.fromarray((dirt * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BILINEAR),
        dtype=np.float32,
    )
    out = out * (0.55 + 0.45 * dirt[..., None] / 255.0)
    scratches = rng.random(w) > 0.985
    out[:, scratches] += 0.25
    out = tint(out, (0.45, 0.38, 0.22), 0.18)
    return grain(vignette(out, 0.6), rng, 0.07)


def dreamy(a: Array, rng: np.random.Generator) -> Array:
    soft = blur(a, 9)
    out = 0.55 * a + 0.6 * soft
    out = saturate(out, 0.75) * 0.8 + np.array([0.2, 0.15, 0.25], dtype=np.float32)
    return out


def hand_drawn(a: Array, rng: np.random.Generator) -> Array:
    e = edges(blur(a, 1.2))
    ink = np.clip(e * 2.5, 0, 1)[..., None]
    shade = (luma(a) < 0.45)[..., None] * hatching(a, 9)[..., None]
    base = paper(a, rng, (0.96, 0.93, 0.86))
    out = base * (1 - 0.85 * ink) * (1 - 0.5 * shade)
    return out * (0.85 + 0.15 * saturate(a, 0.4))


def novel_2d(a: Array, rng: np.random.Generator) -> Array:
    flat = posterize(saturate(blur(a, 2.5), 1.25) * 1.05, 5)
    lines = (edges(blur(a, 1.5)) > 0.18)[..., None]
    return np.where(lines, 0.12, flat)


def boost(a: Array, rng: np.random.Generator) -> Array:
    sharp = to_array(to_image(a).filter(ImageFilter.UnsharpMask(3, 180, 2)))
    return contrast(saturate(sharp, 1.9), 1.3)


def scribble(a: Array, rng: np.random.Generator) -> Array:
    e = edges(blur(a, 1.0))
    jitter = rng.random(e.shape, dtype=np.float32)
    lines = np.clip(e * 3.0 - 0.3 * jitter, 0, 1)[..., None]
    dark = (luma(a) < 0.35)[..., None] * hatching(a, 6, -1)[..., None]
    base = paper(a, rng, (1.0, 1.0, 0.98))
    return base * (1 - np.maximum(lines, 0.7 * dark)) + np.array([0.05, 0.05, 0.25]) * lines


def film_noir(a: Array, rng: np.random.Generator) -> Array:
    g = np.clip(contrast(gray(a), 1.8, 0.45), 0, 1)
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    blinds = (((xx * 0.5 + yy) // max(8, h // 24)) % 2 == 0).astype(np.float32)
    g = g * (0.6 + 0.4 * blinds[..., None])
    return grain(vignette(g, 0.8), rng, 0.06)


def anime(a: Array, rng: np.random.Generator) -> Array:
    """Cel shading: smooth hues, luminance in three tones, thin ink lines, bright sky."""
    smooth = saturate(blur(a, 1.8), 1.5)
    y = luma(smooth)[..., None]
    tones = np.where(y < 0.3, 0.55, np.where(y < 0.6, 0.85, 1.1))
    out = smooth / np.maximum(y, 0.05) * 0.55 * tones
    lines = np.clip(edges(smooth) * 3 - 0.4, 0, 1)[..., None]
    out = out * (1 - 0.9 * lines)
    return grade(out, (0.0, 0.04, 0.14), (0.08, 0.06, 0.10))


def cartoon_3d(a: Array, rng: np.random.Generator) -> Array:
    """Clay-like relief: heavy smoothing, then light from the top left over the luminance."""
    smooth = saturate(blur(a, 6), 1.6)
    y = luma(blur(a, 10))
    gx = np.gradient(y, axis=1) * a.shape[1] / 20
    gy = np.gradient(y, axis=0) * a.shape[0] / 20
    light = np.clip(1.0 + gx * 1.4 + gy * 1.4, 0.45, 1.6)[..., None]
    spec = np.clip(gx + gy - 0.25, 0, 1)[..., None] * 0.5
    return smooth * light * 1.1 + spec


def colored(a: Array, rng: np.random.Generator) -> Array:
    e = edges(blur(a, 1.2))
    base = paper(a, rng, (0.97, 0.95, 0.90))
    strokes = hatching(a, 4)[..., None] * 0.5 + hatching(a, 7, -1)[..., None] * 0.5
    color = saturate(a, 1.8) * 1.1
    fill = base * (1 - 0.9 * strokes) + color * 0.9 * strokes
    return fill * (1 - 0.7 * np.clip(e * 2, 0, 1)[..., None])


STYLE_FUNCTIONS: dict[str, Callable[[Array, np.random.Generator], Array]] = {
    "cinematic": cinematic,
    "vintage": vintage,
    "low_key": low_key,
    "indy": indy,
    "y2k": y2k,
    "pop": pop,
    "grunge": grunge,
    "dreamy": dreamy,
    "hand_drawn": hand_drawn,
    "2d_novel": novel_2d,
    "boost": boost,
    "scribble": scribble,
    "film_noir": film_noir,
    "anime": anime,
    "3d_cartoon": cartoon_3d,
    "colored": colored,
}


def apply_style(a: Array, style: str | None, rng: np.random.Generator) -> Array:
    fn = STYLE_FUNCTIONS.get(style or "")
    return np.clip(fn(a.copy(), rng), 0, 1) if fn else a
