"""The demo's backdrop: a sky for the time of day and a place (field, desert, sea, beach,
forest, city, mountains, cliff, space), with the season's colours. Float RGB arrays in [0, 1]
(see styles.py); `Layout` tells the subjects where the ground and the water are."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kontextlab.emulator.styles import Array

Colour = tuple[float, float, float]

# time → (sky top, sky at the horizon, sun or moon, light on the land)
SKIES: dict[str, tuple[Colour, Colour, Colour, Colour]] = {
    "day": ((0.22, 0.48, 0.9), (0.72, 0.86, 0.98), (1.0, 0.98, 0.86), (1.0, 1.0, 1.0)),
    "sunrise": ((0.34, 0.46, 0.78), (1.0, 0.74, 0.58), (1.0, 0.86, 0.6), (1.0, 0.88, 0.8)),
    "sunset": ((0.3, 0.2, 0.46), (1.0, 0.55, 0.24), (1.0, 0.82, 0.4), (1.0, 0.76, 0.58)),
    "dusk": ((0.08, 0.08, 0.26), (0.86, 0.42, 0.36), (1.0, 0.6, 0.4), (0.56, 0.48, 0.6)),
    "night": ((0.01, 0.02, 0.07), (0.07, 0.1, 0.24), (0.95, 0.95, 0.86), (0.24, 0.28, 0.46)),
}
STORM_SKY = ((0.2, 0.22, 0.26), (0.42, 0.44, 0.48))
GRASS = {"": (0.34, 0.64, 0.26), "autumn": (0.66, 0.5, 0.2), "spring": (0.46, 0.76, 0.32),
         "summer": (0.3, 0.66, 0.2), "winter": (0.9, 0.93, 0.97)}  # fmt: skip
SNOW_GROUND = (0.9, 0.93, 0.97)
SAND = (0.94, 0.7, 0.42)
ROCK = (0.46, 0.38, 0.3)
SEA = (0.06, 0.34, 0.6)
HORIZONS = {"sea": 0.5, "beach": 0.48, "cliff": 0.44, "desert": 0.46, "city": 0.66,
            "mountains": 0.62, "forest": 0.6, "field": 0.6, "space": 1.0}  # fmt: skip


@dataclass(frozen=True)
class Layout:
    horizon: float  # where the sky ends, as a share of the height
    ground: float  # where standing subjects stand
    water: float  # where floating subjects float
    cliff: tuple[float, float, float] | None  # left, right (shares of the width), top
    light: Colour
    night: bool


def _column(w: int, rng: np.random.Generator, base: float, rough: float, octaves: int = 4) -> Array:
    x = np.linspace(0, 1, w, dtype=np.float32)
    out = np.full(w, base, dtype=np.float32)
    for k in range(octaves):
        out += rough / 2**k * np.sin(x * rng.uniform(2, 5) * 2**k + rng.uniform(0, 6.3))
    return out


def _fill(img: Array, mask: Array, colour: Colour | Array, light: Colour) -> None:
    """Paint `colour` (one colour or an image of them) where `mask` (h, w) is true, lit."""
    paint = np.asarray(colour, dtype=np.float32) * np.asarray(light, dtype=np.float32)
    np.copyto(img, paint, where=mask[..., None])


def sky(size: tuple[int, int], time: str, weather: frozenset[str], horizon: float,
        rng: np.random.Generator) -> Array:  # fmt: skip
    w, h = size
    top, low, sun, _ = SKIES[time]
    shift = rng.normal(0, 0.05, 3)  # every seed its own sky
    top = tuple(np.clip(np.asarray(top) + shift, 0, 1))
    low = tuple(np.clip(np.asarray(low) + shift * 0.6, 0, 1))
    if "storm" in weather or "rain" in weather:
        top, low = STORM_SKY if "storm" in weather else (STORM_SKY[1], (0.62, 0.64, 0.68))
        if time == "night":
            top, low = (0.02, 0.02, 0.04), (0.1, 0.1, 0.14)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    t = np.clip(y / max(horizon, 0.05), 0, 1) ** 1.3
    img = np.asarray(top, np.float32) * (1 - t) + np.asarray(low, np.float32) * t
    img = np.broadcast_to(img, (h, w, 3)).copy()
    if weather & {"storm", "rain", "fog"}:
        return img
    yy = np.arange(h, dtype=np.float32)[:, None] / h
    xx = (np.arange(w, dtype=np.float32)[None, :] - w / 2) / h
    cx = rng.uniform(-0.35, 0.35) * w / h
    cy = {"day": 0.14, "night": 0.16}.get(time, horizon - 0.07)
    r = 0.06 if time != "night" else 0.05
    d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
    glow = np.exp(-d / (0.25 if time in ("sunset", "sunrise", "dusk") else 0.1))[..., None]
    disc = np.clip((r - d) * h * 0.6, 0, 1)[..., None]
    if time == "night":
        stars = rng.random((h, w), dtype=np.float32) > 0.9975
        stars &= yy < horizon - 0.02
        img[stars] = (0.9, 0.92, 1.0)
        img = img + glow * 0.12
    elif time != "dusk":
        img = img + glow * np.asarray(sun, np.float32) * 0.45
    if time != "dusk":
        img = img * (1 - disc) + np.asarray(sun, np.float32) * disc
    if time == "day" and not weather:
        _clouds(img, rng, horizon)
    return np.clip(img, 0, 1)


def _clouds(img: Array, rng: np.random.Generator, horizon: float) -> None:
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(2, 4))):
        cx, cy = rng.uniform(0, w), rng.uniform(0.08, horizon * 0.5) * h
        rx, ry = rng.uniform(0.08, 0.16) * w, rng.uniform(0.03, 0.05) * h
        x0, x1 = max(0, int(cx - rx * 1.2)), min(w, int(cx + rx * 1.2) + 1)
        y0, y1 = max(0, int(cy - ry * 1.2)), min(h, int(cy + ry * 1.2) + 1)
        yy = (np.arange(y0, y1, dtype=np.float32)[:, None] - cy) / ry
        xx = (np.arange(x0, x1, dtype=np.float32)[None, :] - cx) / rx
        k = np.clip(1.3 - xx**2 - yy**2, 0, 1)[..., None] * 0.8
        img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - k) + k * 0.98


def _sea(img: Array, top: int, light: Colour, rng: np.random.Generator) -> None:
    h, w = img.shape[:2]
    n = h - top
    t = np.linspace(0, 1, n, dtype=np.float32)[:, None, None]
    horizon_colour = img[max(top - 1, 0)].mean(axis=0)
    water = (horizon_colour * 0.55 + np.asarray(SEA, np.float32) * 0.45) * (1 - t) + np.asarray(
        SEA, np.float32
    ) * t * 0.8
    water = np.broadcast_to(water, (n, w, 3)) * np.asarray(light, np.float32)
    rows = np.arange(n, dtype=np.float32)[:, None]
    cols = np.arange(w, dtype=np.float32)[None, :]
    phase = rng.uniform(0, 6.3)
    waves = np.sin(cols / (6 + rows * 0.5) + rows * 1.3 + phase) > 0.93
    img[top:] = np.where(waves[..., None], np.minimum(water * 1.35 + 0.08, 1), water)


def _pines(img: Array, base: Array, colour: Colour, light: Colour,
           rng: np.random.Generator) -> None:  # fmt: skip
    h, w = img.shape[:2]
    yy = np.arange(h, dtype=np.float32)[:, None] / h
    xx = np.arange(w, dtype=np.float32)[None, :] / w
    tops = np.full(w, 2.0, dtype=np.float32)
    for _ in range(int(w / 9)):
        cx, tall = rng.uniform(0, 1), rng.uniform(0.12, 0.22)
        half = tall * 0.28 * h / w
        profile = base - tall * (1 - np.abs(xx[0] - cx) / half)
        tops = np.where(np.abs(xx[0] - cx) < half, np.minimum(tops, profile), tops)
    _fill(img, yy >= tops[None, :], np.asarray(colour, np.float32) * 0.55, light)


def _city(img: Array, horizon: float, night: bool, light: Colour,
          rng: np.random.Generator) -> None:  # fmt: skip
    h, w = img.shape[:2]
    step = max(8, w // 28)
    heights = np.repeat(rng.uniform(0.12, 0.42, w // step + 1), step)[:w]
    tops = (horizon - heights) * h
    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(w)[None, :]
    mask = yy >= tops[None, :]
    shade = np.repeat(rng.uniform(0.3, 0.5, w // step + 1), step)[:w][None, :, None]
    colour = np.broadcast_to(np.array([0.42, 0.46, 0.56], np.float32) * shade * 2, (h, w, 3))
    _fill(img, mask, colour, light)
    windows = mask & (xx % 6 < 3) & (yy.astype(int) % 8 < 4) & (yy > tops[None, :] + 3)
    lit = windows & (rng.random((1, w)) > (0.35 if night else 0.0))
    img[lit] = (1.0, 0.84, 0.45) if night else (0.7, 0.8, 0.9)


def _mountains(img: Array, horizon: float, grass: Colour, snow: bool, light: Colour,
               rng: np.random.Generator) -> None:  # fmt: skip
    h, w = img.shape[:2]
    yy = np.arange(h, dtype=np.float32)[:, None] / h
    x = np.linspace(0, 1, w, dtype=np.float32)
    peaks = np.zeros(w, dtype=np.float32)
    for _ in range(4):
        cx, tall, spread = rng.uniform(-0.1, 1.1), rng.uniform(0.25, 0.4), rng.uniform(0.18, 0.3)
        peaks = np.maximum(peaks, tall * (1 - np.abs(x - cx) / spread))
    ridge = horizon - peaks + _column(w, rng, 0.0, 0.012)
    mask = yy >= ridge[None, :]
    lit = np.asarray([0.5, 0.52, 0.6], np.float32)
    rock = np.broadcast_to(lit, (h, w, 3)).copy()
    shadow = x[None, :] * 40 % 2 > 1
    rock[np.broadcast_to(shadow, (h, w))] *= 0.85
    snowline = ridge[None, :] + (0.08 if not snow else 0.3)
    rock[yy < snowline] = (0.94, 0.96, 1.0)
    _fill(img, mask, rock, light)


def backdrop(size: tuple[int, int], place: str, time: str, weather: frozenset[str],
             season: str, place_colour: Colour | None, rng: np.random.Generator,
             side: int) -> tuple[Array, Layout]:  # fmt: skip
    """The background for a place; `side` (-1 left, 1 right) is where a cliff stands."""
    w, h = size
    horizon = HORIZONS.get(place, 0.6) + rng.uniform(-0.03, 0.03)
    lr, lg, lb = SKIES[time][3]
    dim = 0.6 if "storm" in weather else 0.85 if weather & {"rain", "fog"} else 1.0
    light = (lr * dim, lg * dim, lb * dim)
    night = time == "night"
    img = sky(size, time, weather, horizon if place != "space" else 1.0, rng)
    if place == "desert" and time == "day":  # a hot, pale sky
        img = img * 0.6 + np.array([0.4, 0.36, 0.28], np.float32)
    snow = "snow" in weather
    grass = SNOW_GROUND if snow else GRASS.get(season, GRASS[""])
    if place_colour:
        grass = place_colour
    yy = np.arange(h, dtype=np.float32)[:, None] / h
    fore = np.clip((yy - horizon) / (1 - horizon + 1e-6), 0, 1)[..., None]
    cliff = None
    ground, water = 0.9, 0.84
    if place == "space":
        stars = rng.random((h, w), dtype=np.float32) > 0.996
        img = img * 0.15
        img[stars] = (1.0, 1.0, 0.95)
        ground = water = 0.75
    elif place in ("sea", "beach", "cliff"):
        _sea(img, int(horizon * h), light, rng)
        if place == "beach":
            shore = 0.72 + _column(w, rng, 0.0, 0.015, 2)
            sand = np.asarray(place_colour or (SNOW_GROUND if snow else SAND), np.float32)
            _fill(img, yy >= shore[None, :], sand * (0.9 + 0.1 * fore[..., 0:1]) * 1.0, light)
            foam = (yy >= shore[None, :] - 0.012) & (yy < shore[None, :])
            _fill(img, foam, (0.95, 0.98, 1.0), light)
            ground = 0.9
        if place == "cliff":
            edge = 0.42 if side < 0 else 0.58
            top = 0.56 + rng.uniform(-0.02, 0.02)
            x = np.linspace(0, 1, w, dtype=np.float32)
            jag = _column(w, rng, 0.0, 0.015)
            face = (
                (x < edge + jag + (yy - top) * 0.12)
                if side < 0
                else (x > edge + jag - (yy - top) * 0.12)
            )
            rocky = face & (yy >= top + 0.025)
            rock = np.asarray(place_colour or ROCK, np.float32)
            strata = 0.85 + 0.15 * np.sin(yy * 90)[..., None]
            _fill(img, rocky, rock * np.broadcast_to(strata, (h, w, 1)), light)
            _fill(img, face & (yy >= top) & (yy < top + 0.025), grass, light)
            base = np.roll(face, -2 * side, axis=1) & ~face & (yy > 0.75)
            _fill(img, base, (0.95, 0.98, 1.0), light)
            cliff = (0.0, edge, top) if side < 0 else (edge, 1.0, top)
            ground = top
    elif place == "desert":
        far = horizon + _column(w, rng, 0.0, 0.025, 2)
        colour = np.asarray(place_colour or (SNOW_GROUND if snow else SAND), np.float32)
        _fill(img, yy >= far[None, :], colour * 0.88, light)
        near = horizon + 0.08 + _column(w, rng, 0.0, 0.05, 2)
        ripple = 0.96 + 0.04 * np.sin(yy * 260 + np.linspace(0, 9, w)[None, :])
        _fill(img, yy >= near[None, :], colour * (0.95 + 0.08 * fore) * ripple[..., None], light)
    else:
        if place == "mountains":
            _mountains(img, horizon, grass, snow, light, rng)
        far = horizon + _column(w, rng, 0.0, 0.02, 3)
        hill = np.asarray(grass, np.float32) * 0.75 + np.asarray(SKIES[time][1], np.float32) * 0.2
        _fill(img, yy >= far[None, :], hill, light)
        if place == "forest":
            _pines(img, far + 0.01, grass if not snow else GRASS[""], light, rng)
        if place == "city":
            _city(img, horizon, night or time == "dusk", light, rng)
            road = np.asarray((0.36, 0.36, 0.4) if not snow else SNOW_GROUND, np.float32)
            _fill(img, yy >= horizon, road * (0.8 + 0.3 * fore), light)
        else:
            near = horizon + 0.1 + _column(w, rng, 0.0, 0.03, 3)
            green = np.asarray(grass, np.float32) * (0.85 + 0.25 * fore)
            _fill(img, yy >= near[None, :], green, light)
            if season == "spring" and not snow:
                dots = (rng.random((h, w)) > 0.994) & (yy >= near[None, :] + 0.02)
                img[dots] = (1.0, 0.75, 0.85)
    return np.clip(img, 0, 1), Layout(horizon, ground, water, cliff, light, night)
