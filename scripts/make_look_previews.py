"""Draw the look picker's preview pictures with the emulator's renderer.

    python scripts/make_look_previews.py [--out components/looks] [--check]

One small JPEG per LTX look plus "none" (components/looks/<look>.jpg): the same prompt and
seed, each look. Run it again after the renderer changes; the same renderer gives the same
files. --check only says whether the shipped files are the ones the renderer makes now.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image

# Run as a plain script from the repository root: make the package importable.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kontextlab.emulator.renderer import render_create  # noqa: E402
from kontextlab.providers.ltx.requests import STYLES  # noqa: E402
from kontextlab.vocabulary import NO_STYLE  # noqa: E402

PROMPT = "A red lighthouse on a cliff at dusk, waves below"
SEED = 7
SHAPE = "16:9"
WIDTH = 256
QUALITY = 80
MAX_BYTES = 15_000  # a preview larger than this is saved again at a lower quality
LOWEST_QUALITY = 50
OUT = ROOT / "components" / "looks"


def looks() -> tuple[str, ...]:
    return (NO_STYLE, *STYLES)


def preview(style: str) -> bytes:
    """One look's preview: the fixed prompt and seed drawn in this look, WIDTH pixels wide."""
    rendered = render_create(PROMPT, SEED, None if style == NO_STYLE else style, SHAPE)
    img = Image.open(io.BytesIO(rendered.data)).convert("RGB")
    img = img.resize((WIDTH, round(img.height * WIDTH / img.width)), Image.Resampling.LANCZOS)
    quality = QUALITY
    while True:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True)
        if buf.tell() <= MAX_BYTES or quality <= LOWEST_QUALITY:
            return buf.getvalue()
        quality -= 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the previews go")
    parser.add_argument(
        "--check", action="store_true", help="only compare the shipped files with fresh ones"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    stale = []
    out.mkdir(parents=True, exist_ok=True)
    for style in looks():
        data = preview(style)
        path = out / f"{style}.jpg"
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(path.name)
            continue
        path.write_bytes(data)
        print(f"{path.name}: {len(data):,} bytes")
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/make_look_previews.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
