"""What an edit instruction does to the picture it edits: the words it understands (night,
day, snow, rain, storm, fog, sunset, autumn, black and white, "make the X blue", "add a X"),
and the shot words (zoom in/out, the five angles) it turns into a shot type and angle.

The demo cannot know where "the car" is in an uploaded picture: a recolour changes the most
saturated coherent region, favouring the centre, or (when nothing is saturated) the
foreground centre. See docs/EMULATOR.md.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from kontextlab.emulator import weather
from kontextlab.emulator.pen import Pen
from kontextlab.emulator.reading import COLOURS, RGB, colour_before, mentions, subject_of, words
from kontextlab.emulator.styles import Array, luma, to_array, to_image
from kontextlab.emulator.subjects import SHAPES

ZOOM_OUT = ("zoom out", "zoomed out", "wide shot", "wide angle", "wider", "pull back",
            "establishing shot", "far away", "from afar", "wide view")  # fmt: skip
ZOOM_IN = ("zoom in", "zoomed in", "close up", "closeup", "closer", "close shot", "detail")
EXTREME = ("extreme close up", "extreme closeup", "macro")
ANGLES = {
    "low-angle": ("low angle", "from below", "worm s eye", "worms eye", "looking up"),
    "overhead": ("overhead", "from above", "top down", "looking down"),
    "birds-eye-view": ("bird s eye", "birds eye", "bird eye", "aerial", "drone"),
    "over-the-shoulder": ("over the shoulder", "shoulder"),
    "eye-level": ("eye level",),
}
ADD_WORDS = ("add", "put", "place", "insert", "include", "draw")
BLACK_AND_WHITE = ("black and white", "black white", "monochrome", "grayscale", "greyscale",
                   "b w", "noir")  # fmt: skip


@dataclass(frozen=True)
class Shot:
    shot_type: str
    shot_angle: str


def shot_words(prompt: str, shot_type: str, shot_angle: str) -> Shot:
    """The shot the parameters give, else the one the prompt's words ask for."""
    ws = words(prompt)
    if not shot_type:
        if mentions(ws, *EXTREME):
            shot_type = "extreme close-up"
        elif mentions(ws, *ZOOM_OUT):
            shot_type = "wide"
        elif mentions(ws, *ZOOM_IN):
            shot_type = "close-up"
    if not shot_angle:
        shot_angle = next((a for a, ps in ANGLES.items() if mentions(ws, *ps)), "")
    return Shot(shot_type, shot_angle)


def apply(a: Array, prompt: str, rng: np.random.Generator) -> Array:
    """Every change the instruction names, in an order that reads right (recolour before
    the light changes, black and white last)."""
    ws = words(prompt)
    bw = mentions(ws, *BLACK_AND_WHITE)
    target = _colour_asked(ws, bw)
    if target is not None:
        a = recolour(a, target)
    a = _add_subjects(a, ws, rng)
    if mentions(ws, "autumn", "fall colours", "fall colors", "autumnal"):
        a = weather.autumn(a)
    if mentions(
        ws, "sunset", "sunrise", "dusk", "dawn", "golden hour", "evening", "warm", "warmer"
    ):
        a = weather.sunset(a)
    if mentions(ws, "day", "daytime", "noon", "daylight", "morning", "midday"):
        a = weather.day(a)
    elif mentions(ws, "brighter", "bright", "lighter", "sunny"):
        a = weather.brighter(a)
    if mentions(ws, "snow", "snowy", "snowing", "winter", "snowfall", "blizzard"):
        a = weather.snowfall(weather.snow_cover(a), rng)
    if mentions(ws, "rain", "rainy", "raining", "storm", "stormy", "thunderstorm", "drizzle"):
        a = weather.rain(a, rng)
    if mentions(ws, "storm", "stormy", "thunder", "lightning", "thunderstorm"):
        a = weather.lightning(a, rng)
    if mentions(ws, "fog", "foggy", "mist", "misty", "haze", "hazy"):
        a = weather.fog(a)
    if mentions(ws, "night", "midnight", "nighttime", "dark", "darker", "moonlight", "starry"):
        a = weather.night(a, rng)
    if bw:
        a = weather.black_and_white(a)
    return a


def _colour_asked(ws: list[str], bw: bool) -> RGB | None:
    """The colour of a "make the X blue" / "change the car to blue" / "paint it red"."""
    for i, w in enumerate(ws):
        if w in COLOURS and not (bw and w in ("black", "white")):
            if i + 1 < len(ws) and subject_of(ws[i + 1]) and i > 0 and ws[i - 1] in ADD_WORDS:
                continue  # "add a red boat": the boat's colour, not a recolour
            if any(x in ADD_WORDS for x in ws[max(0, i - 3) : i]):
                continue
            return COLOURS[w]
    return None


def _add_subjects(a: Array, ws: list[str], rng: np.random.Generator) -> Array:
    """ "Add a boat": the subject drawn into the foreground."""
    wanted = []
    for i, word in enumerate(ws):
        key = subject_of(word)
        if key and any(x in ADD_WORDS for x in ws[max(0, i - 4) : i]):
            wanted.append((key, colour_before(ws, i)))
    if not wanted:
        return a
    img = to_image(a)
    draw = ImageDraw.Draw(img, "RGBA")
    w, h = img.size
    for n, (key, colour) in enumerate(wanted[:3]):
        shape = SHAPES[key]
        height = min(shape.height * h * 0.7, 0.3 * w / shape.aspect)
        width = height * shape.aspect
        cx = w * (0.3 + 0.4 * ((n + rng.random() * 0.5) / len(wanted)))
        bottom = h * (0.35 if shape.anchor == "sky" else 0.94)
        pen = Pen(draw, (cx - width / 2, bottom - height, width, height), colour or shape.colour)
        shape.draw(pen)
    return to_array(img)


def recolour(a: Array, target: RGB) -> Array:
    """Give the most saturated coherent region (favouring the centre) the target colour,
    keeping its shading; without one, tint the foreground centre."""
    h, w = a.shape[:2]
    step = max(1, min(h, w) // 72)
    small = a[::step, ::step]
    mask = _salient_region(small)
    if mask is None:
        yy, xx = np.ogrid[0 : small.shape[0], 0 : small.shape[1]]
        ry, rx = small.shape[0] * 0.28, small.shape[1] * 0.22
        cy, cx = small.shape[0] * 0.62, small.shape[1] * 0.5
        mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
    soft = Image.fromarray((mask * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BILINEAR)
    full = np.asarray(soft, np.float32) / 255
    rows, cols = np.nonzero(full.any(axis=1))[0], np.nonzero(full.any(axis=0))[0]
    if rows.size == 0:
        return a
    box = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    m, part = full[box][..., None], a[box]
    y = luma(part)[..., None]
    inside = m[..., 0] > 0.5
    mean = float(y[inside].mean()) if inside.any() else 0.5
    shade = np.clip(y / max(mean, 0.05), 0.2, 2.0)
    painted = np.clip(np.asarray(target, np.float32) / 255 * shade, 0, 1)
    out = a.copy()
    out[box] = part * (1 - m) + painted * m
    return out


def _salient_region(small: Array) -> Array | None:
    """The most saturated coherent region of one hue: weighted toward the lower middle, where
    a subject stands, and never most of the picture (that is a sky or a field)."""
    h, w = small.shape[:2]
    top, bottom = small.max(axis=2), small.min(axis=2)
    sat = top - bottom
    if float(sat.max()) < 0.25:
        return None
    r, g, b = small[..., 0], small[..., 1], small[..., 2]
    hue = np.degrees(np.arctan2(np.sqrt(3) * (g - b), 2 * r - g - b)) % 360
    yy, xx = np.ogrid[0:h, 0:w]
    centre = np.exp(-(((xx / w - 0.5) / 0.4) ** 2)) * np.clip((yy / h - 0.15) / 0.35, 0.15, 1)
    weight = sat**2 * centre * (top > 0.15)
    hist = np.bincount((hue // 15).astype(int).ravel() % 24, weight.ravel(), 24)
    for bin_ in np.argsort(hist)[::-1][:4]:
        dominant = (int(bin_) + 0.5) * 15
        near = np.abs((hue - dominant + 180) % 360 - 180) < 28
        strong = near & (sat > max(0.18, float(np.percentile(sat[near], 60)) * 0.6))
        if strong.sum() < h * w * 0.004:
            continue
        start = np.unravel_index(int(np.argmax(np.where(strong, weight, -1))), strong.shape)
        region = _flood(strong, (int(start[0]), int(start[1])))
        if region.sum() < h * w * 0.35:
            return region
    return None


def _flood(mask: Array, start: tuple[int, int]) -> Array:
    """The 8-connected part of `mask` that holds `start` (a small grid: plain Python)."""
    h, w = mask.shape
    out = np.zeros_like(mask, dtype=bool)
    out[start] = True
    todo = deque([start])
    while todo:
        y, x = todo.popleft()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                ny, nx = y + dy, x + dx
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not out[ny, nx]:
                    out[ny, nx] = True
                    todo.append((ny, nx))
    return out
