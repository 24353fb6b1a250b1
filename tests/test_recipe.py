"""A picture's recipe written into its file: read back by Pillow and by `read_recipe`, pixels
untouched, hostile prompts harmless, and never a secret (no streamlit, no network)."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from components import stored
from kontextlab.history import HistoryStore
from kontextlab.images import read_recipe, with_recipe
from kontextlab.images.recipe import JPEG_PREFIX, KEY, SEGMENT_LIMIT, recipe_json

RECIPE = {
    "prompt": "A red fox at golden hour",
    "kind": "create",
    "provider": "ltx",
    "model": "flux",
    "look": "anime",
    "shape": "16:9",
    "seed": 4242,
}
HOSTILE = {
    "unicode": "Füchse 🦊 в лесу — 狐狸 ‮RTL‬ e\u0301 \ufeff",
    "ten thousand": "a fox, " * 1428 + "end",
    "controls": "a\x00b\x01c\x07d\x1b[31mred\x7f\x9f\r\nnext\tline",
    "lone surrogate": "broken \ud800 half",
    "chunk words": 'IEND tEXt iTXt \xff\xd9 "}{" \\u0000 </script>',
    "json": '{"prompt": "other", "seed": 1}',
}


def png(size: tuple[int, int] = (96, 54), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 60, 20)).save(out, "PNG")
    return out.getvalue()


def jpeg(exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.linear_gradient("L").convert("RGB").resize((96, 54))
    image.save(out, "JPEG", quality=90, **({"exif": exif} if exif else {}))
    return out.getvalue()


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.tobytes()


def chunk_types(data: bytes) -> list[bytes]:
    types, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        types.append(data[at + 4 : at + 8])
        at += 12 + length
    return types


def test_a_png_carries_prompt_and_seed_that_pillow_reads() -> None:
    tagged = with_recipe(png(), RECIPE)
    with Image.open(io.BytesIO(tagged)) as image:
        text = dict(image.text)  # type: ignore[attr-defined]  # PngImageFile's text chunks
    assert json.loads(text[KEY]) == RECIPE
    assert text["Description"] == RECIPE["prompt"] and text["Title"] == RECIPE["prompt"]
    assert text["parameters"].startswith("A red fox at golden hour\nSeed: 4242, Model: flux")
    assert "Look: anime" in text["Comment"] and "Provider: ltx" in text["Comment"]
    assert text["Software"] == "Kontext Lab"
    assert read_recipe(tagged) == RECIPE


def test_a_png_keeps_its_pixels_and_ends_with_iend() -> None:
    original = png(mode="RGBA")
    tagged = with_recipe(original, RECIPE)
    assert pixels(tagged) == pixels(original)
    assert chunk_types(tagged)[-1] == b"IEND" and chunk_types(tagged).count(b"IEND") == 1
    # Only text chunks were added: every original chunk is there, in its order, byte for byte.
    assert [t for t in chunk_types(tagged) if t != b"iTXt"] == chunk_types(original)


def test_tagging_twice_replaces_the_recipe() -> None:
    once = with_recipe(png(), RECIPE)
    twice = with_recipe(once, {**RECIPE, "seed": 7})
    assert read_recipe(twice)["seed"] == 7
    assert chunk_types(twice).count(b"iTXt") == chunk_types(once).count(b"iTXt")


def test_a_jpeg_carries_its_recipe_in_its_comment_and_exif() -> None:
    original = jpeg()
    tagged = with_recipe(original, RECIPE)
    assert pixels(tagged) == pixels(original), "no pixel is re-encoded"
    with Image.open(io.BytesIO(tagged)) as image:
        comment = image.info["comment"]
        exif = image.getexif()
    assert comment.startswith(JPEG_PREFIX)
    assert json.loads(comment[len(JPEG_PREFIX) :]) == RECIPE
    assert exif[0x010E] == RECIPE["prompt"]  # ImageDescription
    user_comment = exif.get_ifd(0x8769)[0x9286]
    assert user_comment.startswith(b"UNICODE\0")
    assert json.loads(user_comment[8:].decode("utf-16-be"))["seed"] == 4242
    assert read_recipe(tagged) == RECIPE


def test_a_jpeg_with_its_own_exif_keeps_it() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    original = jpeg(exif.tobytes())
    tagged = with_recipe(original, RECIPE)
    with Image.open(io.BytesIO(tagged)) as image:
        assert image.getexif()[0x010F] == "Camera maker"
    assert read_recipe(tagged) == RECIPE and pixels(tagged) == pixels(original)


@pytest.mark.parametrize("name", list(HOSTILE))
@pytest.mark.parametrize("maker", [png, jpeg], ids=["png", "jpeg"])
def test_hostile_prompts_round_trip_and_break_nothing(name: str, maker) -> None:
    original = maker()
    recipe = {**RECIPE, "prompt": HOSTILE[name]}
    tagged = with_recipe(original, recipe)
    assert read_recipe(tagged) == recipe, "the JSON copy keeps the prompt exactly"
    with Image.open(io.BytesIO(tagged)) as image:
        image.load()  # the whole file still decodes
        assert image.tobytes() == pixels(original)
        readable = dict(getattr(image, "text", {})) or {"comment": image.info["comment"]}
    for text in readable.values():
        shown = text if isinstance(text, str) else text.decode("utf-8")
        assert "\x00" not in shown.replace("\\u0000", "")


def test_a_prompt_too_long_for_a_jpeg_comment_is_cut_not_broken() -> None:
    recipe = {**RECIPE, "prompt": "fox " * 40_000}
    tagged = with_recipe(jpeg(), recipe)
    back = read_recipe(tagged)
    assert back is not None and back["prompt_cut"] is True and back["seed"] == 4242
    assert "fox fox" in back["prompt"] and len(back["prompt"]) < len(recipe["prompt"])
    assert len(recipe_json(recipe, SEGMENT_LIMIT).encode()) <= SEGMENT_LIMIT
    with Image.open(io.BytesIO(tagged)) as image:
        image.load()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a picture",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
        b"\xff\xd8\xff\xe0\x00",
        b"RIFF",
    ],
)
def test_anything_else_is_returned_as_it_came(data: bytes) -> None:
    assert with_recipe(data, RECIPE) == data
    assert read_recipe(data) is None


def test_a_picture_without_a_recipe_reads_none_and_a_bomb_is_refused() -> None:
    assert read_recipe(png()) is None and read_recipe(jpeg()) is None
    bomb = zlib.compress(b"{" + b" " * 50_000_000 + b"}", 9)
    payload = KEY.encode() + b"\0\1\0\0\0" + bomb
    chunk = struct.pack(">I", len(payload)) + b"iTXt" + payload + b"\0\0\0\0"
    plain = png()
    assert read_recipe(plain[:-12] + chunk + plain[-12:]) is None


def test_the_recipe_of_a_row_holds_no_secret(tmp_path: Path) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    request = {
        "prompt": "A fox",
        "style": "anime",
        "aspectRatio": "9:16",
        "seed": 11,
        "email": "owner@example.com",
        "replyUrl": "https://hooks.example.com/secret-path?token=hook-token-123",
        "replyRef": "row-tag-abc",
        "referenceAssetId": "user:1-asset:abc",
        "shotType": "close-up",
    }
    summary = {"prompt": "A fox", "style": "anime", "aspect_ratio": "9:16", "seed": 11}
    rid = store.add_job(account_key="k", kind="create", request=request, summary=summary)
    recipe = stored.recipe(store.get(rid, "k"))
    assert recipe == {
        "prompt": "A fox",
        "kind": "create",
        "provider": "ltx",
        "model": "flux",
        "look": "anime",
        "shape": "9:16",
        "seed": 11,
        "shot_type": "close-up",
    }
    for data in (with_recipe(png(), recipe), with_recipe(jpeg(), recipe)):
        for secret in ("owner@example.com", "hook-token-123", "hooks.example.com", "row-tag"):
            assert secret.encode() not in data and secret.encode("utf-16-be") not in data
