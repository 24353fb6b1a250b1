"""What a picture is called and which shape it is closest to."""

from __future__ import annotations

import re

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
ASPECT_RATIOS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}


def closest_aspect_ratio(width: int, height: int) -> str:
    ratio = width / max(height, 1)
    return min(ASPECT_RATIOS, key=lambda k: abs(ASPECT_RATIOS[k] - ratio))


def download_name(prompt: str, mime_type: str | None, seed: int | None = None) -> str:
    """A file name a person recognises: kontextlab-<prompt words>-<seed>.<ext>."""
    words = re.sub(r"[^a-z0-9]+", "-", (prompt or "image").lower()).strip("-")[:40].strip("-")
    ext = EXTENSIONS.get(mime_type or "", "png")
    tail = f"-{seed}" if seed is not None else ""
    return f"kontextlab-{words or 'image'}{tail}.{ext}"
