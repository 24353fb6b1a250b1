"""A picture that carries its recipe: the settings it was made with, written into the file.

`with_recipe` adds text to a PNG (chunks before IEND) or a JPEG (a comment segment, and an
EXIF segment when it has none) without decoding or re-encoding a pixel; `read_recipe` reads it
back. A recipe is a small dict of plain settings (prompt, seed, look, shape, model, provider,
kind): the caller decides what goes in and must never put a secret there.

Other tools read it too: PNG's `parameters` (the key many image tools read for generation
settings), `Title`, `Description`, `Comment` and `Software`; JPEG's comment, and EXIF's
`ImageDescription` and `UserComment`. The prompt is hostile text: any character, any length.
Control characters are dropped from the readable copies, long text is cut to limits every
reader accepts, and the JSON copy (`kontextlab`) keeps the rest exactly. Nothing here raises on
odd bytes: a file that cannot be read as a PNG or JPEG is returned as it came.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Mapping
from typing import Any

from PIL import Image

KEY = "kontextlab"  # the PNG chunk holding the recipe as JSON
SOFTWARE = "Kontext Lab"
JPEG_PREFIX = b"Kontext Lab recipe: "  # a JPEG comment that holds the recipe starts so
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
OUR_KEYS = (KEY, "parameters", "Title", "Description", "Comment", "Software")
READABLE_LIMIT = 20_000  # characters of the prompt in each readable copy
TITLE_LIMIT = 100
JSON_LIMIT = 200_000  # bytes of the PNG's JSON (Pillow reads text chunks up to 1 MB)
SEGMENT_LIMIT = 65_533  # bytes of one JPEG segment's payload
COMPRESS_OVER = 1024  # PNG text longer than this (bytes) is compressed
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ORDER = ("prompt", "kind", "provider", "model", "look", "shape", "seed")
_LABELS = {"seed": "Seed", "model": "Model", "look": "Look", "shape": "Shape"}


# ---------------------------------------------------------------- the texts


def readable(text: str, limit: int = READABLE_LIMIT) -> str:
    """Text other tools show: no control characters but line breaks and tabs, no lone
    surrogate, at most `limit` characters."""
    clean = _CONTROL.sub("", text[: limit * 2]).encode("utf-8", "replace").decode("utf-8")
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def recipe_json(
    recipe: Mapping[str, Any], limit: int = JSON_LIMIT, *, indent: int | None = None
) -> str:
    """The recipe as JSON text of at most `limit` UTF-8 bytes: a prompt too long for that is
    cut (and `prompt_cut` says so). Control characters and lone surrogates are escaped."""
    data = dict(recipe)
    text = _dumps(data, indent)
    prompt = str(data.get("prompt") or "")
    while len(text.encode("utf-8")) > limit and prompt:
        prompt = prompt[: len(prompt) // 2]
        text = _dumps({**data, "prompt": prompt, "prompt_cut": True}, indent)
    return text


def _dumps(data: Mapping[str, Any], indent: int | None = None) -> str:
    try:
        text = json.dumps(data, ensure_ascii=False, default=str, indent=indent)
        text.encode("utf-8")  # a lone surrogate cannot be written as UTF-8 ...
    except UnicodeEncodeError:  # ... but escaped, it can
        text = json.dumps(data, ensure_ascii=True, default=str, indent=indent)
    return text


def settings_line(recipe: Mapping[str, Any]) -> str:
    """E.g. "Seed: 4242, Model: flux, Look: anime, Shape: 16:9, Provider: ltx"."""
    parts = [f"{label}: {recipe[name]}" for name, label in _LABELS.items() if name in recipe]
    parts += [f"Provider: {recipe['provider']}"] if "provider" in recipe else []
    extra = [n for n in recipe if n not in (*_ORDER, "prompt_cut")]
    parts += [f"{name.replace('_', ' ').capitalize()}: {recipe[name]}" for name in extra]
    return readable(", ".join(parts), 2_000)


def _texts(recipe: Mapping[str, Any]) -> dict[str, str]:
    """The PNG's text chunks, by keyword."""
    prompt = readable(str(recipe.get("prompt") or ""))
    line = settings_line(recipe)
    return {
        KEY: recipe_json(recipe),
        # The layout many image tools parse: the prompt, then one line of "Name: value".
        "parameters": f"{prompt}\n{line}" if prompt else line,
        "Title": readable(prompt.replace("\n", " ").replace("\t", " "), TITLE_LIMIT),
        "Description": prompt,
        "Comment": line,
        "Software": SOFTWARE,
    }


# ---------------------------------------------------------------- PNG


def _png_chunks(data: bytes) -> list[tuple[int, bytes, bytes]] | None:
    """(offset, type, payload) of every chunk up to IEND; None when `data` is not a whole
    PNG's chunk layout."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    found: list[tuple[int, bytes, bytes]] = []
    at = len(PNG_SIGNATURE)
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(data):
            return None
        found.append((at, kind, data[at + 8 : at + 8 + length]))
        if kind == b"IEND":
            return found
        at = end
    return None


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _itxt(keyword: str, text: str) -> bytes:
    raw = text.encode("utf-8")
    compressed = len(raw) > COMPRESS_OVER
    body = zlib.compress(raw, 9) if compressed else raw
    head = keyword.encode("latin-1") + b"\0" + (b"\1\0" if compressed else b"\0\0") + b"\0\0"
    return _chunk(b"iTXt", head + body)


def _keyword(kind: bytes, payload: bytes) -> str | None:
    if kind not in TEXT_CHUNKS:
        return None
    return payload.split(b"\0", 1)[0].decode("latin-1")


def _png_with(data: bytes, recipe: Mapping[str, Any]) -> bytes:
    chunks = _png_chunks(data)
    if chunks is None:
        return data
    out = [PNG_SIGNATURE]
    for at, kind, payload in chunks:
        if kind == b"IEND":
            out += [_itxt(key, text) for key, text in _texts(recipe).items()]
        if _keyword(kind, payload) not in OUR_KEYS:
            out.append(data[at : at + 12 + len(payload)])
    return b"".join(out)


def _png_text(kind: bytes, payload: bytes) -> str | None:
    """The text of a tEXt, zTXt or iTXt chunk (None when it cannot be read)."""
    try:
        _keyword_text, rest = payload.split(b"\0", 1)
        if kind == b"tEXt":
            return rest.decode("latin-1")
        if kind == b"zTXt":
            return _inflate(rest[1:]).decode("latin-1")
        flag, _method = rest[0], rest[1]
        _lang, _translated, text = rest[2:].split(b"\0", 2)
        return (_inflate(text) if flag else text).decode("utf-8")
    except (ValueError, IndexError, zlib.error, UnicodeDecodeError):
        return None


def _inflate(data: bytes) -> bytes:
    """Decompress at most JSON_LIMIT * 4 bytes (a hostile chunk may be a zip bomb)."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, JSON_LIMIT * 4)
    if inflater.unconsumed_tail:
        raise ValueError("text chunk too large")
    return out


def _png_recipe(data: bytes) -> dict[str, Any] | None:
    chunks = _png_chunks(data)
    for kind, payload in ((k, p) for _, k, p in chunks or ()):
        if _keyword(kind, payload) == KEY:
            text = _png_text(kind, payload)
            return _as_recipe(text)
    return None


# ---------------------------------------------------------------- JPEG


def _jpeg_segments(data: bytes) -> list[tuple[int, int, int]] | None:
    """(marker, start, end) of each segment between SOI and the scan; None when `data` is
    not laid out as a JPEG."""
    if not data.startswith(b"\xff\xd8"):
        return None
    found: list[tuple[int, int, int]] = []
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xDA:  # start of scan: the headers end here
            return found
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if length < 2 or at + 2 + length > len(data):
            return None
        found.append((marker, at, at + 2 + length))
        at += 2 + length
    return None


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _exif(recipe: Mapping[str, Any], text: str) -> bytes | None:
    """An EXIF segment's payload: the prompt as ImageDescription (ASCII), the recipe as
    UserComment (UCS-2, in the segment's own byte order), the app as Software."""
    exif = Image.Exif()
    prompt = readable(str(recipe.get("prompt") or ""), 8_000)
    exif[0x010E] = prompt.encode("ascii", "replace").decode("ascii")
    exif[0x0131] = SOFTWARE
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + text.encode("utf-16-be", "replace")
    try:
        payload = exif.tobytes()
    except (ValueError, struct.error, OverflowError):
        return None
    return payload if len(payload) <= SEGMENT_LIMIT else None


def _jpeg_with(data: bytes, recipe: Mapping[str, Any]) -> bytes:
    segments = _jpeg_segments(data)
    if segments is None:
        return data
    comment = JPEG_PREFIX + recipe_json(recipe, SEGMENT_LIMIT - len(JPEG_PREFIX)).encode()
    added = [_segment(0xFE, comment)]
    if not any(m == 0xE1 and data[s + 4 : s + 10] == b"Exif\0\0" for m, s, _ in segments):
        short = recipe_json(recipe, 24_000)  # UCS-2: two bytes a character, under the limit
        exif = _exif(recipe, short)
        added += [_segment(0xE1, exif)] if exif else []
    # After SOI, and after a JFIF header, which must come first.
    head = segments[0][2] if segments and segments[0][0] == 0xE0 else 2
    kept = [
        data[s:e]
        for m, s, e in segments
        if s >= head and not (m == 0xFE and data.startswith(JPEG_PREFIX, s + 4))
    ]
    tail = segments[-1][2] if segments else 2
    return data[:head] + b"".join(added) + b"".join(kept) + data[tail:]


def _jpeg_recipe(data: bytes) -> dict[str, Any] | None:
    for marker, start, end in _jpeg_segments(data) or ():
        payload = data[start + 4 : end]
        if marker == 0xFE and payload.startswith(JPEG_PREFIX):
            text = payload[len(JPEG_PREFIX) :].decode("utf-8", "replace")
            return _as_recipe(text)
    return None


# ---------------------------------------------------------------- the two doors


def _as_recipe(text: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(text or "")
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def with_recipe(data: bytes, recipe: Mapping[str, Any]) -> bytes:
    """The picture with its recipe written in (PNG or JPEG; any other file as it came). The
    pixels are not touched: only text chunks or segments are added (or replaced)."""
    if not recipe:
        return data
    ordered = {k: recipe[k] for k in _ORDER if recipe.get(k) is not None}
    ordered.update({k: v for k, v in recipe.items() if k not in ordered and v is not None})
    if data.startswith(PNG_SIGNATURE):
        return _png_with(data, ordered)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_with(data, ordered)
    return data


def read_recipe(data: bytes) -> dict[str, Any] | None:
    """The recipe `with_recipe` wrote into a PNG or JPEG; None when it holds none."""
    if data.startswith(PNG_SIGNATURE):
        return _png_recipe(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_recipe(data)
    return None
