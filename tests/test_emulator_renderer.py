"""The renderer: styles look different, edits derive from their reference, output is stable."""

from __future__ import annotations

import io
from functools import lru_cache
from itertools import combinations

import numpy as np
import pytest
from PIL import Image

from kontextlab.emulator.renderer import render_create, render_edit
from kontextlab.emulator.rules import SHOT_ANGLES, STYLES

PROMPT = "A serene mountain landscape at sunset by a lake"


@lru_cache(maxsize=64)
def pixels(data: bytes, size: tuple[int, int] = (96, 54)) -> np.ndarray:
    img = Image.open(io.BytesIO(data)).convert("RGB").resize(size)
    return np.asarray(img, dtype=np.float32) / 255


def distance(a: bytes, b: bytes) -> float:
    return float(np.abs(pixels(a) - pixels(b)).mean())


@pytest.fixture(scope="module")
def styled() -> dict[str, bytes]:
    return {s or "none": render_create(PROMPT, 5, s).data for s in (None, *STYLES)}


def test_every_style_differs_visibly_from_every_other(styled: dict[str, bytes]) -> None:
    close = [(a, b) for a, b in combinations(styled, 2) if distance(styled[a], styled[b]) < 0.02]
    assert close == []


def test_output_is_deterministic_and_the_seed_matters() -> None:
    assert render_create(PROMPT, 1, "pop").data == render_create(PROMPT, 1, "pop").data
    assert distance(render_create(PROMPT, 1).data, render_create(PROMPT, 2).data) > 0.02


def test_edits_derive_from_the_reference_and_follow_the_shot() -> None:
    red, blue = (render_create(p, 3).data for p in ("red desert dunes", "blue ocean coast"))
    edit_red = render_edit(red, "make it brighter", 9, shot_type="close-up").data
    edit_blue = render_edit(blue, "make it brighter", 9, shot_type="close-up").data
    assert distance(edit_red, red) < distance(edit_red, blue)
    assert distance(edit_blue, blue) < distance(edit_blue, red)
    views = [render_edit(red, "x", 9, shot_angle=a).data for a in SHOT_ANGLES]
    assert all(distance(a, b) > 0.01 for a, b in combinations(views, 2))


def test_sizes_and_formats_follow_ratio_and_model() -> None:
    tall = render_create(PROMPT, 1, aspect_ratio="9:16", model="flux-premium")
    assert (tall.width, tall.height, tall.mime_type) == (768, 1344, "image/jpeg")
    assert Image.open(io.BytesIO(tall.data)).format == "JPEG"
    assert max(Image.open(io.BytesIO(tall.thumbnail)).size) == 384


def test_the_emulator_mark_is_drawn_in_the_corner() -> None:
    data = render_create("plain white snow", 1).data
    img = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float32)
    corner, above = img[-30:, -150:], img[-120:-60, -150:]
    assert corner.std() > above.std() + 10


def test_a_create_is_framed_by_its_shot_type_and_angle() -> None:
    plain = render_create("A red car in the desert", 4).data
    close = render_create("A red car in the desert", 4, shot_type="close-up").data
    low = render_create("A red car in the desert", 4, shot_angle="low-angle").data
    assert distance(plain, close) > 0.02 and distance(plain, low) > 0.02
    again = render_create("A red car in the desert", 4, shot_type="close-up").data
    assert again == close
