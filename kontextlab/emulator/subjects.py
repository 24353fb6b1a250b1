"""The subjects a prompt names, placed on the backdrop and sized by the picture's shape, then
drawn with their colours (see pen.py, shapes_made.py and shapes_alive.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from kontextlab.emulator.pen import Pen, Shape
from kontextlab.emulator.reading import Reading, Wanted
from kontextlab.emulator.scenery import Layout
from kontextlab.emulator.shapes_alive import ALIVE
from kontextlab.emulator.shapes_made import MADE

SHAPES: dict[str, Shape] = {**MADE, **ALIVE}
TALL_ON_CLIFF = ("lighthouse", "house", "castle", "church", "cabin", "windmill", "tower")


@dataclass(frozen=True)
class Placed:
    wanted: Wanted
    shape: Shape
    box: tuple[float, float, float, float]  # x, y, width, height in pixels


def place_for(reading: Reading) -> str:
    """The place to draw: the prompt's, else the one its first subject implies."""
    keys = [s.key for s in reading.subjects]
    place = reading.place
    if not place:
        place = next((SHAPES[k].place for k in keys if SHAPES[k].place), "")
        if not place and any(SHAPES[k].anchor == "water" for k in keys):
            place = "sea"
        place = place or "field"
    if place == "sea" and any(SHAPES[k].anchor == "ground" for k in keys):
        place = "cliff" if any(k in TALL_ON_CLIFF for k in keys[:1]) else "beach"
    return place


def time_for(reading: Reading) -> str:
    if not reading.timed and any(s.key == "moon" for s in reading.subjects):
        return "night"
    return reading.time


def arrange(
    reading: Reading, layout: Layout, size: tuple[int, int], rng: np.random.Generator
) -> list[Placed]:
    w, h = size
    groups: dict[str, list[Wanted]] = {}
    for wanted in reading.subjects:
        groups.setdefault(SHAPES[wanted.key].anchor, []).append(wanted)
    out: list[Placed] = []
    for anchor, members in groups.items():
        n = len(members)
        left, right = 0.05 * w, 0.95 * w
        if anchor == "ground" and layout.cliff:
            left, right = layout.cliff[0] * w + 0.04 * w, layout.cliff[1] * w - 0.04 * w
        slot = (right - left) / n
        for i, wanted in enumerate(members):
            shape = SHAPES[wanted.key]
            alone = len(reading.subjects) == 1
            height = shape.height * h * (1.12 if alone else 0.85)
            if anchor == "ground" and layout.cliff:
                height = min(height, (layout.ground - 0.04) * h)
            if anchor == "sky":
                height = min(height, (layout.horizon - 0.08) * h * (1 if alone else 0.8))
            width = height * shape.aspect
            room = slot * (0.95 if anchor != "float" else 1.0)
            if width > room:
                width, height = room, room / shape.aspect
            cx = left + slot * (i + 0.5) + rng.uniform(-0.06, 0.06) * slot
            if alone and not layout.cliff:
                cx = w / 2 + rng.uniform(-0.1, 0.1) * w
            elif anchor == "sky" and n == 1:  # beside what stands below, not over it
                cx = w * (0.22 if rng.random() < 0.5 else 0.78)
            cx = min(max(cx, left + width / 2), right - width / 2)
            if anchor == "sky":
                top = (layout.horizon * 0.45) * h - height / 2 + rng.uniform(-0.04, 0.04) * h
                top = max(top, 0.03 * h)
            elif anchor == "water":
                top = layout.water * h - height * 0.9
            elif anchor == "float":
                top = min(layout.ground, 0.95) * h - height
            else:
                top = layout.ground * h - height + (i % 2) * 0.02 * h
            out.append(Placed(wanted, shape, (cx - width / 2, top, width, height)))
    return out


def draw_subjects(
    img: Image.Image, placed: list[Placed], layout: Layout, season: str, rng: np.random.Generator
) -> Image.Image:
    draw = ImageDraw.Draw(img, "RGBA")
    # Far things first: the sky, then what floats, then what stands.
    order = {"sky": 0, "float": 1, "water": 2, "ground": 3}
    for item in sorted(placed, key=lambda p: order[p.shape.anchor]):
        colour = item.wanted.colour or item.shape.colour
        pen = Pen(
            draw, item.box, colour, layout.light, bool(rng.random() < 0.5), layout.night, season
        )
        item.shape.draw(pen)
    return img
