"""The demo follows the prompt, seen through the app: a bright red car at noon is red and
bright, at night darker, and "Make it night" on Edit darkens the picture. Also saves a contact
sheet of example prompts and edit words (drawn by the renderer directly) to artifacts/."""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest
from browser_support import (
    ROOT,
    AppServer,
    expect_edit_done,
    expect_image_loaded,
    generate,
    nav,
    no_exceptions,
    open_page,
    result_image,
    stored_image,
    stored_rows,
    wait_idle,
)
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Page, expect

from kontextlab.emulator.renderer import render_create, render_edit
from kontextlab.history import JobRecord

pytestmark = pytest.mark.browser

NOON = "A bright red sports car in the desert at noon"
NIGHT = "A bright red sports car in the desert at night"
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
EXAMPLES = (
    "A red lighthouse on a cliff at dusk, waves below",
    NOON,
    "A cozy cabin in a snowy forest at night",
    "A blue sailboat on the sea at sunset",
    "A castle in the mountains in the fog",
    "A cat and a dog in a field in spring",
    "A yellow bus on a city street in the rain",
    "An owl in an autumn forest at dusk",
    "A purple dragon flying over a volcano",
    "A white horse on the beach at sunrise",
    "A hot air balloon over the fields at golden hour",
    "A whale in the ocean under a stormy sky",
)
# (caption, instruction, shot type, shot angle): as the Edit page sends them
EDIT_WORDS = (
    ("source", "", "", ""),
    ("night", "Make it night", "", ""),
    ("snow", "Add snow", "", ""),
    ("rain", "Make it rain", "", ""),
    ("fog", "Add fog", "", ""),
    ("sunset", "Make it sunset", "", ""),
    ("make the car blue", "Make the car blue", "", ""),
    ("black and white", "Black and white", "", ""),
    ("zoom out", "Zoom out to a wide shot", "", ""),
    ("zoom in", "Zoom in", "", ""),
    ("eye level", "", "", "eye-level"),
    ("low angle", "", "", "low-angle"),
    ("overhead", "", "", "overhead"),
    ("bird's-eye view", "", "", "birds-eye-view"),
    ("over the shoulder", "", "", "over-the-shoulder"),
)


def picture(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32) / 255


def luminance(a: np.ndarray) -> float:
    return float((a @ LUMA).mean())


def finished_picture(server: AppServer, kind: str, prompt: str) -> np.ndarray:
    """The stored picture of the newest finished job of this kind and prompt."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows: list[JobRecord] = [r for r in stored_rows(server, kind) if r.prompt == prompt]
        data = stored_image(server, rows[0]) if rows else None
        if data:
            return picture(data)
        time.sleep(0.5)
    raise AssertionError(f"no stored picture for {kind} {prompt!r}")


def test_the_demo_picture_follows_the_prompt(page: Page, demo_server: AppServer) -> None:
    open_page(page, demo_server.url)
    generate(page, NOON)
    expect_image_loaded(result_image(page, NOON))
    wait_idle(page)
    noon = finished_picture(demo_server, "create", NOON)
    r, g, b = noon.reshape(-1, 3).mean(axis=0)
    assert r > g + 0.08 and r > b + 0.08, f"not red-dominant: {r:.2f} {g:.2f} {b:.2f}"
    assert luminance(noon) > 0.55

    page.get_by_role("button", name=re.compile(r"Edit this$")).first.click()
    expect(page.get_by_role("heading", name="Edit", level=1)).to_be_visible()
    wait_idle(page)
    page.get_by_role("textbox", name="What should change?").fill("Make it night")
    page.get_by_role("button", name="Apply edit").click()
    expect_edit_done(page, 1)
    edited = finished_picture(demo_server, "edit", "Make it night")
    assert luminance(edited) <= 0.6 * luminance(noon), "Make it night did not darken by 40 %"
    no_exceptions(page)

    nav(page, "Create")
    generate(page, NIGHT)
    expect_image_loaded(result_image(page, NIGHT))
    night = finished_picture(demo_server, "create", NIGHT)
    assert luminance(night) < 0.6 * luminance(noon)
    no_exceptions(page)


def test_contact_sheet_of_examples_and_edit_words() -> None:
    """A grid with captions, for a person to look at (artifacts/demo-contact-sheet.png)."""
    cells = [(p, render_create(p, i + 1).data) for i, p in enumerate(EXAMPLES)]
    source = render_create(NOON, 3).data
    for caption, words, shot_type, shot_angle in EDIT_WORDS:
        edit = render_edit(source, words, 7, shot_type=shot_type, shot_angle=shot_angle)
        cells.append((f"edit: {caption}", source if caption == "source" else edit.data))
    cols, width, height, band = 4, 448, 256, 26
    rows = -(-len(cells) // cols)
    sheet = Image.new("RGB", (cols * width, rows * (height + band)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=15)
    for i, (caption, data) in enumerate(cells):
        x, y = (i % cols) * width, (i // cols) * (height + band)
        cell = Image.open(io.BytesIO(data)).convert("RGB")
        cell.thumbnail((width - 4, height))
        sheet.paste(cell, (x + 2, y + band))
        draw.text((x + 4, y + 5), caption[:52], fill="black", font=font)
    out = ROOT / "artifacts" / "demo-contact-sheet.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    assert Image.open(out).size == sheet.size
    assert len({data for _, data in cells}) == len(cells)  # every cell its own picture
