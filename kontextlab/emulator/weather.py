"""Whole-picture effects shared by the demo's creates and edits: rain, falling and lying snow,
fog, a storm's lightning, night, a sunset's warmth, black and white, autumn. Each takes and
returns a float RGB array in [0, 1] (see styles.py) and works on any picture, drawn by us or
uploaded."""

from __future__ import annotations

import numpy as np

from kontextlab.emulator.styles import LUMA, Array, luma, saturate

NIGHT_TOP = np.array([0.34, 0.38, 0.6], np.float32)
NIGHT_LOW = np.array([0.5, 0.54, 0.72], np.float32)


def _rows(h: int) -> Array:
    return np.linspace(0, 1, h, dtype=np.float32)[:, None, None]


def rain(a: Array, rng: np.random.Generator, amount: float = 1.0) -> Array:
    """Slanted streaks over a greyer, darker picture."""
    h, w = a.shape[:2]
    out = saturate(a, 0.7) * 0.78 + np.array([0.02, 0.03, 0.06], np.float32)
    drops = (rng.random((h, w), dtype=np.float32) > 1 - 0.0035 * amount).astype(np.float32)
    length = max(4, h // 40)
    streaks = np.zeros_like(drops)
    for k in range(length):
        streaks += np.roll(drops, (k, k // 3), axis=(0, 1))
    streaks = np.clip(streaks, 0, 1)[..., None] * 0.45
    return out * (1 - streaks) + np.array([0.85, 0.88, 0.95], np.float32) * streaks


def snowfall(a: Array, rng: np.random.Generator, amount: float = 1.0) -> Array:
    h, w = a.shape[:2]
    flakes = rng.random((h, w), dtype=np.float32) > 1 - 0.004 * amount
    flakes = flakes | np.roll(flakes, 1, axis=1) | np.roll(flakes, 1, axis=0)
    out = a.copy()
    out[flakes] = out[flakes] * 0.2 + 0.8
    return out


def snow_cover(a: Array, ground: float = 0.62) -> Array:
    """Snow lying on what faces up (an edge from light above to dark below) and on the lower
    part of the picture, with a cold tint."""
    h = a.shape[0]
    y = luma(a)
    step = max(1, h // 200)
    above = np.empty_like(y)
    above[step:] = y[:-step]
    above[:step] = y[:step]
    edge = (above - y) > 0.08
    cap = edge.copy()
    for k in range(1, max(2, h // 90)):
        cap[k:] |= edge[:-k]
    rows = _rows(h)
    lying = np.clip((rows - ground) * 4, 0, 1) * 0.6
    white = np.array([0.95, 0.97, 1.0], np.float32)
    out = a * np.array([0.9, 0.95, 1.04], np.float32) + 0.04
    out = out * (1 - lying) + white * lying
    out[cap] = white * 0.97
    return out


def fog(a: Array, amount: float = 1.0) -> Array:
    h = a.shape[0]
    grey = np.array([0.8, 0.82, 0.84], np.float32)
    k = np.clip((0.45 + 0.3 * (1 - _rows(h))) * amount, 0, 0.85)
    soft = a * 0.7 + a.mean(axis=(0, 1)) * 0.3
    return soft * (1 - k) + grey * k


def lightning(a: Array, rng: np.random.Generator) -> Array:
    h, w = a.shape[:2]
    out = a.copy()
    x = rng.uniform(0.2, 0.8) * w
    y = 0.0
    width = max(1, w // 300)
    while y < h * 0.55:
        ny, nx = y + rng.uniform(0.03, 0.07) * h, x + rng.uniform(-0.04, 0.04) * w
        for t in np.linspace(0, 1, 24):
            px, py = int(x + (nx - x) * t), int(y + (ny - y) * t)
            out[max(0, py - 1) : py + 1, max(0, px - width) : px + width] = (1.0, 1.0, 0.95)
        x, y = nx, ny
    return out


def night(a: Array, rng: np.random.Generator) -> Array:
    """Darker and bluer (about 55 % less light), stars where the upper picture is smooth (a
    sky, most likely), and a moon."""
    h, w = a.shape[:2]
    t = _rows(h)
    smooth_sky = _smooth(a) & (t[..., 0] < 0.45)
    out = a * (NIGHT_TOP * (1 - t) + NIGHT_LOW * t)
    sky_dark = np.where(smooth_sky[..., None], out * 0.6, out)
    stars = smooth_sky & (rng.random((h, w), dtype=np.float32) > 0.997)
    sky_dark[stars] = (0.95, 0.95, 1.0)
    return moon(sky_dark, rng)


def moon(a: Array, rng: np.random.Generator) -> Array:
    h, w = a.shape[:2]
    cx, cy, r = rng.uniform(0.15, 0.85) * w, rng.uniform(0.1, 0.2) * h, 0.05 * h
    reach = int(r * 12)
    x0, x1 = max(0, int(cx) - reach), min(w, int(cx) + reach)
    y0, y1 = max(0, int(cy) - reach), min(h, int(cy) + reach)
    yy = np.arange(y0, y1, dtype=np.float32)[:, None] - cy
    xx = np.arange(x0, x1, dtype=np.float32)[None, :] - cx
    d = np.sqrt(xx**2 + yy**2)
    glow = np.exp(-d / (r * 2.5))[..., None] * 0.18
    disc = np.clip(r - d, 0, 1)[..., None]
    out = a.copy()
    part = out[y0:y1, x0:x1] + glow * np.array([0.9, 0.92, 1.0], np.float32)
    out[y0:y1, x0:x1] = part * (1 - disc) + np.array([0.96, 0.95, 0.86], np.float32) * disc
    return out


def _smooth(a: Array) -> Array:
    """Where the picture barely changes from one pixel to the next (sky, calm water)."""
    y = luma(a)
    gx = np.abs(np.diff(y, axis=1, append=y[:, -1:]))
    gy = np.abs(np.diff(y, axis=0, append=y[-1:, :]))
    return (gx + gy) < 0.02


def sunset(a: Array) -> Array:
    h = a.shape[0]
    t = _rows(h)
    warm = a * np.array([1.06, 0.8, 0.6], np.float32)
    glow = np.array([0.28, 0.1, 0.0], np.float32) * np.clip(1 - abs(t - 0.45) * 2.5, 0, 1)
    return warm * 0.92 + glow


def black_and_white(a: Array) -> Array:
    g = (a @ LUMA)[..., None]
    return np.repeat(np.clip((g - 0.5) * 1.15 + 0.5, 0, 1), 3, axis=2)


def autumn(a: Array) -> Array:
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    green = np.clip((g - np.maximum(r, b)) * 5, 0, 1)[..., None]
    turned = np.stack([g * 1.05 + 0.1, g * 0.62, b * 0.4], axis=-1)
    return a * (1 - green) + turned * green


def brighter(a: Array) -> Array:
    return np.clip(a * 1.25 + 0.06, 0, 1)


def day(a: Array) -> Array:
    """Lift a dark picture toward daylight."""
    mean = float(luma(a).mean())
    gain = min(3.0, max(1.15, 0.55 / max(mean, 0.05)))
    return np.clip(a * gain * np.array([1.0, 1.0, 0.96], np.float32) + 0.03, 0, 1)
