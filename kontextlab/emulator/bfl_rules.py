"""The emulator's own rules for a BFL submit (`POST /v1/flux-kontext-pro` and `-max`),
written from BFL.md, never from the app's BFL client.

A broken rule answers 422 in FastAPI's shape, every broken rule at once:
`{"detail": [{"loc": ["body", "<field>"], "msg": "...", "type": "..."}]}`, with pydantic's
error types and messages. A field BFL.md does not document is refused (`extra_forbidden`).
Optional fields may be null, which means absent, as in FastAPI.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from fractions import Fraction
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from kontextlab.emulator.rules import SEED_MAX

PROMPT_LIMIT = 10_000  # our choice: BFL.md states no limit
TEXT_LIMIT = 2_000  # URLs and the webhook secret: our choice
IMAGE_BYTES = 20 * 1024 * 1024  # a decoded input image, at most: our choice
IMAGE_PIXELS = 40_000_000  # our choice, as for LTX uploads
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")
IMAGE_FIELDS = ("input_image", "input_image_2", "input_image_3", "input_image_4")
OUTPUT_FORMATS = ("png", "jpeg")
WIDEST = 21 / 9  # aspect ratios from 21:9 ...
TALLEST = 9 / 21  # ... to 9:21
SAFETY_MAX = 6
SAFETY_MAX_WITH_IMAGE = 2
SAFETY_DEFAULT = 2
RATIO = re.compile(r"([1-9][0-9]{0,4}):([1-9][0-9]{0,4})")
FIELDS = (
    "prompt",
    *IMAGE_FIELDS,
    "seed",
    "aspect_ratio",
    "output_format",
    "prompt_upsampling",
    "safety_tolerance",
    "webhook_url",
    "webhook_secret",
)


class Invalid(ValueError):
    """A request breaks rules: `errors` are FastAPI's `detail` items."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(errors[0]["msg"] if errors else "invalid")
        self.errors = errors


def error(loc: list[str | int], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": kind}


class _Broken(ValueError):
    def __init__(self, msg: str, kind: str):
        super().__init__(msg)
        self.msg = msg
        self.kind = kind


def parse(content_type: str, body: bytes) -> dict[str, Any]:
    """The JSON object of a submit; anything else is a 422 about the whole body."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in ("", "application/json"):
        raise Invalid([error(["body"], "Input should be a valid JSON object", "model_type")])
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Invalid([error(["body"], f"JSON decode error: {exc}", "json_invalid")]) from None
    if not isinstance(data, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        raise Invalid([error(["body"], msg, "model_attributes_type")])
    return data


def check(fields: dict[str, Any]) -> dict[str, Any]:
    """The submit's values when every rule holds, else `Invalid` naming each broken one.

    Values: "prompt"; "images" (the input images in field order, each (field, its decoded
    bytes or an http(s) URL string)); "seed" (None: the emulator picks); "aspect_ratio"
    (None: 1:1, or the first input image's shape); "output_format"; "prompt_upsampling";
    "safety_tolerance"; "webhook_url"; "webhook_secret".
    """
    errors = [
        error(["body", name], "Extra inputs are not permitted", "extra_forbidden")
        for name in fields
        if name not in FIELDS
    ]
    values: dict[str, Any] = {}
    readers = {
        "prompt": _prompt,
        "seed": _seed,
        "aspect_ratio": _aspect_ratio,
        "output_format": _output_format,
        "prompt_upsampling": _boolean,
        "safety_tolerance": _safety,
        "webhook_url": _url,
        "webhook_secret": _text,
        **dict.fromkeys(IMAGE_FIELDS, _image),
    }
    for name in FIELDS:
        value = fields.get(name)
        if value is None:
            if name == "prompt":
                kind = "missing" if name not in fields else "string_type"
                msg = "Field required" if kind == "missing" else "Input should be a valid string"
                errors.append(error(["body", name], msg, kind))
            continue
        try:
            values[name] = readers[name](value)
        except _Broken as broken:
            errors.append(error(["body", name], broken.msg, broken.kind))
    images = [(name, values[name]) for name in IMAGE_FIELDS if name in values]
    tolerance = values.get("safety_tolerance", SAFETY_DEFAULT)
    if images and tolerance > SAFETY_MAX_WITH_IMAGE:
        msg = (
            f"Input should be less than or equal to {SAFETY_MAX_WITH_IMAGE} "
            "when an input image is given"
        )
        errors.append(error(["body", "safety_tolerance"], msg, "less_than_equal"))
    if errors:
        raise Invalid(errors)
    return {
        "prompt": values["prompt"],
        "images": images,
        "seed": values.get("seed"),
        "aspect_ratio": values.get("aspect_ratio"),
        "output_format": values.get("output_format", "png"),
        "prompt_upsampling": values.get("prompt_upsampling", False),
        "safety_tolerance": tolerance,
        "webhook_url": values.get("webhook_url"),
        "webhook_secret": values.get("webhook_secret"),
    }


# ---------------------------------------------------------------- one field each


def _string(value: Any, longest: int) -> str:
    if not isinstance(value, str):
        raise _Broken("Input should be a valid string", "string_type")
    if len(value) > longest:
        raise _Broken(f"String should have at most {longest} characters", "string_too_long")
    return value


def _prompt(value: Any) -> str:
    text = _string(value, PROMPT_LIMIT)
    if not text.strip():  # our choice: an empty prompt describes nothing
        raise _Broken("String should have at least 1 character", "string_too_short")
    return text


def _text(value: Any) -> str:
    return _string(value, TEXT_LIMIT)


def _integer(value: Any) -> int:
    # Stricter than FastAPI's lax mode: "7" and true are refused; 7.0 is 7.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Broken("Input should be a valid integer", "int_type")
    if isinstance(value, float) and not value.is_integer():
        msg = "Input should be a valid integer, got a number with a fractional part"
        raise _Broken(msg, "int_from_float")
    return int(value)


def _between(number: int, low: int, high: int) -> int:
    if number < low:
        raise _Broken(f"Input should be greater than or equal to {low}", "greater_than_equal")
    if number > high:
        raise _Broken(f"Input should be less than or equal to {high}", "less_than_equal")
    return number


def _seed(value: Any) -> int:
    return _between(_integer(value), 0, SEED_MAX)


def _safety(value: Any) -> int:
    return _between(_integer(value), 0, SAFETY_MAX)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Broken("Input should be a valid boolean", "bool_type")
    return value


def _output_format(value: Any) -> str:
    if value not in OUTPUT_FORMATS:
        raise _Broken("Input should be 'png' or 'jpeg'", "literal_error")
    return str(value)


def _aspect_ratio(value: Any) -> str:
    text = _string(value, 16)
    match = RATIO.fullmatch(text)
    if match is None:
        raise _Broken('Value error, aspect_ratio must look like "16:9"', "value_error")
    ratio = int(match[1]) / int(match[2])
    if not TALLEST <= ratio <= WIDEST:
        raise _Broken("Value error, aspect_ratio must be between 21:9 and 9:21", "value_error")
    return text


def _url(value: Any) -> str:
    text = _string(value, TEXT_LIMIT)
    try:
        parts = urlsplit(text)
    except ValueError:  # an unclosed IPv6 bracket
        raise _Broken("Input should be a valid URL", "url_parsing") from None
    if parts.scheme not in ("http", "https"):
        raise _Broken("URL scheme should be 'http' or 'https'", "url_scheme")
    if not parts.hostname or re.search(r"\s", text):
        raise _Broken("Input should be a valid URL", "url_parsing")
    return text


def _image(value: Any) -> bytes | str:
    """An http(s) URL as it is, or base64 (no data-URL prefix) decoded to a checked picture."""
    text = _string(value, IMAGE_BYTES * 4 // 3 + 4)
    if text.startswith(("http://", "https://")):
        return _url(text)
    if text.startswith("data:"):
        msg = "Value error, send the image as plain base64, without a data: URL prefix"
        raise _Broken(msg, "value_error")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        msg = "Value error, input image must be base64 or an http(s) URL"
        raise _Broken(msg, "value_error") from None
    return _picture(data)


def _picture(data: bytes) -> bytes:
    """A PNG, JPEG or WebP of at most IMAGE_PIXELS pixels, judged by its header alone."""
    if len(data) > IMAGE_BYTES:
        msg = f"Value error, input image is over {IMAGE_BYTES // (1024 * 1024)} MB"
        raise _Broken(msg, "value_error")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
            fmt, (width, height) = img.format, img.size
    except Image.DecompressionBombError:
        fmt, width, height = "PNG", IMAGE_PIXELS + 1, 1
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        fmt, width, height = None, 0, 0
    if fmt not in IMAGE_FORMATS:
        raise _Broken("Value error, input image is not a PNG, JPEG or WebP", "value_error")
    if width * height > IMAGE_PIXELS:
        msg = f"Value error, input image has more than {IMAGE_PIXELS // 1_000_000} megapixels"
        raise _Broken(msg, "value_error")
    return data


def shape_of(picture: bytes) -> str:
    """A picture's own shape as "W:H", held between 21:9 and 9:21."""
    with Image.open(io.BytesIO(picture)) as img:
        width, height = img.size
        if img.getexif().get(0x0112) in (5, 6, 7, 8):  # EXIF says it stands on its side
            width, height = height, width
    ratio = Fraction(width, max(height, 1)).limit_denominator(50)
    ratio = min(Fraction(21, 9), max(Fraction(9, 21), ratio))
    return f"{ratio.numerator}:{ratio.denominator}"
