"""Contact sheets of the emulator's renderer, written into artifacts/ for a human to look at.

    python scripts/contact_sheet.py [--prompt "..."] [--seed 7] [--out artifacts]

styles.png: the 16 styles plus none for one prompt. edit_chain.png: create → close-up →
low-angle → overhead, each edit made from the previous result. models.png: the three models.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Run as a plain script from the repository root: make the package importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kontextlab.emulator.renderer import Rendered, render_create, render_edit
from kontextlab.providers.ltx.requests import STYLES

TILE = (448, 256)


def _tile(rendered: Rendered, label: str, box: tuple[int, int] = TILE) -> Image.Image:
    img = Image.open(io.BytesIO(rendered.data)).convert("RGB")
    img.thumbnail(box, Image.LANCZOS)
    tile = Image.new("RGB", (box[0], box[1] + 24), (250, 250, 250))
    tile.paste(img, ((box[0] - img.width) // 2, 0))
    draw = ImageDraw.Draw(tile)
    draw.text((6, box[1] + 4), label, fill=(20, 20, 20), font=ImageFont.load_default(size=14))
    return tile


def _sheet(tiles: list[Image.Image], columns: int) -> Image.Image:
    w, h = tiles[0].size
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (columns * (w + 8) + 8, rows * (h + 8) + 8), (200, 200, 200))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, (8 + (i % columns) * (w + 8), 8 + (i // columns) * (h + 8)))
    return sheet


def styles_sheet(prompt: str, seed: int) -> Image.Image:
    tiles = [_tile(render_create(prompt, seed, s), s or "none") for s in (None, *STYLES)]
    return _sheet(tiles, 6)


def edit_chain(prompt: str, seed: int) -> Image.Image:
    steps = [("close-up", "", "make it a close-up"), ("", "low-angle", "view from below")]
    steps.append(("", "overhead", "seen from above"))
    current = render_create(prompt, seed, "cinematic")
    tiles = [_tile(current, "create (cinematic)")]
    for shot_type, shot_angle, text in steps:
        current = render_edit(current.data, text, seed, shot_type=shot_type, shot_angle=shot_angle)
        tiles.append(_tile(current, f"edit: {shot_type or shot_angle}"))
    return _sheet(tiles, 4)


def angles_sheet(prompt: str, seed: int) -> Image.Image:
    base = render_create(prompt, seed)
    tiles = [_tile(base, "reference")]
    for angle in ("eye-level", "low-angle", "over-the-shoulder", "overhead", "birds-eye-view"):
        tiles.append(_tile(render_edit(base.data, prompt, seed, shot_angle=angle), angle))
    for shot in ("wide shot", "medium shot", "close-up"):
        tiles.append(_tile(render_edit(base.data, prompt, seed, shot_type=shot), shot))
    return _sheet(tiles, 3)


def models_sheet(prompt: str, seed: int) -> Image.Image:
    tiles = []
    for model in ("flux", "flux-premium", "nano-banana"):
        rendered = render_create(prompt, seed, model=model)
        tiles.append(_tile(rendered, f"{model} ({rendered.mime_type})"))
    for ratio in ("9:16", "1:1"):
        tiles.append(_tile(render_create(prompt, seed, aspect_ratio=ratio), ratio))
    return _sheet(tiles, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default="A serene mountain landscape at sunset by a lake")
    parser.add_argument("--seed", type=int, default=123456)
    parser.add_argument("--out", type=Path, default=Path("artifacts"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sheets = {
        "styles": styles_sheet(args.prompt, args.seed),
        "edit_chain": edit_chain(args.prompt, args.seed),
        "angles": angles_sheet(args.prompt, args.seed),
        "models": models_sheet(args.prompt, args.seed),
        "city": styles_sheet("Neon city street at night", args.seed),
    }
    for name, sheet in sheets.items():
        path = args.out / f"contact_{name}.png"
        sheet.save(path)
        print(path)


if __name__ == "__main__":
    main()
