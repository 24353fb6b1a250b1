"""Realistic history rows for benchmarks and demos (not part of the app package)."""

from __future__ import annotations

import base64
import io
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from kontextlab.history import HistoryStore
from kontextlab.import_rules import IMPORT_RULES
from kontextlab.providers.ltx.requests import STYLES

SUBJECTS = (
    "a red fox",
    "an old lighthouse",
    "a cyberpunk street market",
    "a bowl of ramen",
    "a knight in silver armour",
    "a cat wearing sunglasses",
    "a snowy mountain village",
    "a vintage sports car",
    "a jellyfish city under the sea",
    "a portrait of an elderly fisherman",
)
SETTINGS = (
    "at golden hour",
    "in heavy rain",
    "under neon lights",
    "on a foggy morning",
    "in a field of sunflowers",
    "seen through a window",
    "at midnight with a full moon",
)
EDITS = (
    "make it winter",
    "add a rainbow in the sky",
    "turn the scene into a watercolor",
    "remove the people in the background",
    "change the car colour to teal",
)
KINDS = ("create",) * 7 + ("edit",) * 2 + ("upscale",)
STATUSES = ("completed",) * 16 + ("failed",) * 2 + ("active", "queued")
RATIOS = ("16:9", "9:16", "1:1")


def thumbnails(count: int = 12) -> list[bytes]:
    """Small JPEG thumbnails (about 1 KB each), like the ones the runner keeps."""
    made = []
    for n in range(count):
        image = Image.new("RGB", (160, 90), (20 * n % 256, 90, 200 - 10 * n % 200))
        for x in range(0, 160, 16):
            image.paste((255 - 20 * n % 256, 40 + x, 80), (x, 30, x + 8, 60))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
        made.append(out.getvalue())
    return made


def _job_id(n: int) -> str:
    return f"email:demo@example.com:{n:08d}-type:image"


def _record(n: int, rng: random.Random, now: datetime, parents: list[str]) -> dict[str, Any]:
    kind = rng.choice(KINDS) if parents else "create"
    status = rng.choice(STATUSES)
    created = now - timedelta(minutes=rng.uniform(0, 90 * 24 * 60))
    prompt = f"{rng.choice(SUBJECTS)} {rng.choice(SETTINGS)}"
    request: dict[str, Any] = {"prompt": prompt, "aspectRatio": rng.choice(RATIOS)}
    if kind == "edit":
        request = {"prompt": rng.choice(EDITS), "referenceAssetId": f"file-{n}"}
    if kind == "create" and rng.random() < 0.6:
        request["style"] = rng.choice(STYLES)
    if rng.random() < 0.3:
        request["seed"] = rng.randrange(2**32)
    done = status == "completed"
    record: dict[str, Any] = {
        "id": f"{n:032x}",
        "kind": kind,
        "status": status,
        "prompt": request.get("prompt", ""),
        "style": request.get("style"),
        "aspect_ratio": request.get("aspectRatio"),
        "seed": request.get("seed", rng.randrange(2**32) if done else None),
        "request": request,
        "parent_id": rng.choice(parents) if kind != "create" else None,
        "job_id": None if status == "queued" else _job_id(n),
        "created_at": created.isoformat(),
        "started_at": (created + timedelta(seconds=1)).isoformat(),
        "completed_at": (created + timedelta(seconds=rng.uniform(8, 40))).isoformat(),
    }
    if kind == "upscale":  # an upscale's request names the job it enlarges
        record["request"] = {"jobId": _job_id(int(record["parent_id"], 16))}
    if status == "failed":
        record["message"] = "The job failed on the server."
    if done:
        record["asset_url"] = f"https://storage.example.com/out/{n}.jpg?sig=abc"
        record["url_expires_at"] = (created + timedelta(days=7)).isoformat()
        record.update(file_id=f"file-{n}", mime_type="image/jpeg", width=1344, height=768)
    return record


def history_export(n: int, *, seed: int = 7, with_thumbnails: bool = True) -> str:
    """An export document with `n` mixed jobs over the last 90 days."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    thumbs = [base64.b64encode(t).decode() for t in thumbnails()] if with_thumbnails else []
    records, parents = [], []
    for index in range(n):
        record = _record(index, rng, now, parents)
        if record["status"] == "completed":
            parents.append(record["id"])
            record["thumbnail"] = rng.choice(thumbs) if thumbs else None
        records.append(record)
    return json.dumps({"format": "kontextlab-history", "version": 1, "jobs": records})


def seed_history(store: HistoryStore, account_key: str, n: int, **options: Any) -> int:
    """Fill `store` with `n` realistic jobs for `account_key`. Returns how many were added."""
    return store.import_json(account_key, history_export(n, **options), IMPORT_RULES).imported
