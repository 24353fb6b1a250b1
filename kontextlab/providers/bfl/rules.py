"""FLUX.1 Kontext requests for the BFL API: the form's fields checked once, in plain words,
into the JSON body the API documents.

The form's field names are the app's (`picture`, `safety`, ...): the wire names stay in this
package (`WIRE_NAMES`). `model` picks the endpoint (`v1/flux-kontext-pro` or `-max`) and is
never in the body. The `picture` (create: a reference; edit: the source) comes from the form
as its bytes, or from a stored body as base64 text; either way it is checked and made safe to
send (`prepare_reference`: scaled down when huge, converted where a service may choke), and
the body carries its base64. A picture prepared once comes out of that unchanged, so a stored
body prepares into itself.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlparse

from kontextlab.images import BadImage, prepare_reference
from kontextlab.providers.base import Kind
from kontextlab.providers.errors import FieldError, InvalidRequest
from kontextlab.vocabulary import as_int

KINDS: Final[tuple[Kind, ...]] = ("create", "edit")
PROMPT_LIMIT = 2000
SECRET_LIMIT = 500
WEBHOOK_URL_LIMIT = 2083  # the API's own limit
SEED_MAX = 2**32 - 1  # BFL documents no range; this one every FLUX runtime takes
SAFETY_MIN, SAFETY_MAX = 0, 6
SAFETY_MAX_WITH_PICTURE = 2
# The three shapes the app has always offered first, then the others between 21:9 and 9:21.
SHAPES = (
    *("16:9", "9:16", "1:1"),
    *("21:9", "2:1", "3:2", "4:3", "5:4", "4:5", "3:4", "2:3", "1:2", "9:21"),
)
DEFAULT_SHAPE = "16:9"
WIDEST, TALLEST = 21 / 9, 9 / 21
SHAPE_SIDE_MAX = 99  # "W:H" stays short enough for the store's shape column
OUTPUT_FORMATS = ("png", "jpeg")
MODELS = ("flux-kontext-pro", "flux-kontext-max")
DEFAULT_MODEL = "flux-kontext-pro"
ENDPOINTS = {model: f"v1/{model}" for model in MODELS}

# The form's fields, in the order a page draws them; each kind takes all of them.
FIELDS: Final[tuple[str, ...]] = (
    "prompt",
    "aspect_ratio",
    "seed",
    "model",
    "picture",
    "output_format",
    "prompt_upsampling",
    "safety",
    "webhook_url",
    "webhook_secret",
)
# Form field → its name in the body, in the body's order (`model` is the endpoint instead).
WIRE_NAMES: Final[dict[str, str]] = {
    "prompt": "prompt",
    "picture": "input_image",
    "seed": "seed",
    "aspect_ratio": "aspect_ratio",
    "output_format": "output_format",
    "prompt_upsampling": "prompt_upsampling",
    "safety": "safety_tolerance",
    "webhook_url": "webhook_url",
    "webhook_secret": "webhook_secret",
}
FORM_NAMES: Final[dict[str, str]] = {wire: name for name, wire in WIRE_NAMES.items()}

NO_SOURCE = "Please choose the image to edit: upload a picture or pick one of your results."
NOT_A_PICTURE = "The picture could not be read: it is not a PNG, JPEG or WebP file."


def _blank(value: Any) -> bool:
    return value is None or value == b"" or (isinstance(value, str) and not value.strip())


def _kind(kind: str) -> Kind:
    for known in KINDS:
        if known == kind:
            return known
    raise KeyError(kind)  # BFL has no upscale


class _Checker:
    """Collects plain-language errors while reading a form's fields into a body."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:  # a form of another provider: a programming error, not a user's
            raise TypeError(f"Black Forest Labs takes no field {', '.join(unknown)}")
        self.fields = fields
        self.errors: list[FieldError] = []
        self.values: dict[str, Any] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def given(self, name: str) -> Any:
        value = self.fields.get(name)
        return None if _blank(value) else value

    def text(self, name: str, label: str, limit: int, *, required: bool = False) -> None:
        value = self.given(name)
        if value is None:
            if required:
                self.fail(name, f"Please enter {label}.")
        elif not isinstance(value, str):
            self.fail(name, f"{label[0].upper() + label[1:]} must be text.")
        elif len(value.strip()) > limit:
            size, what = len(value.strip()), label[0].upper() + label[1:]
            self.fail(name, f"{what} is {size:,} characters long; the limit is {limit:,}.")
        else:
            self.values[name] = value.strip()

    def integer(self, name: str, label: str, low: int, high: int) -> None:
        value = self.given(name)
        if value is None:
            return
        number = as_int(value)
        if number is None or not low <= number <= high:
            self.fail(name, f"{label} must be a whole number from {low:,} to {high:,}.")
        else:
            self.values[name] = number

    def choice(self, name: str, label: str, options: tuple[str, ...]) -> None:
        value = self.given(name)
        if value is None:
            return
        if value not in options:
            self.fail(name, f"{label} must be one of: {', '.join(options)}.")
        else:
            self.values[name] = value

    def shape(self) -> None:
        value = self.given("aspect_ratio")
        if value is None:
            return
        if value not in SHAPES and not _shape_in_range(value):
            self.fail(
                "aspect_ratio",
                "The shape must be a width:height ratio such as 4:3, from 21:9 (wide) to "
                "9:21 (tall).",
            )
        else:
            self.values["aspect_ratio"] = value

    def flag(self, name: str, label: str) -> None:
        value = self.fields.get(name)
        if value is None or value is False:
            return  # the API's default: not sent
        if value is not True:
            self.fail(name, f"{label} must be on or off.")
        else:
            self.values[name] = True

    def url(self, name: str, label: str) -> None:
        value = self.given(name)
        if value is None:
            return
        text = value.strip() if isinstance(value, str) else ""
        try:
            parts = urlparse(text)
        except ValueError:  # e.g. "http://[::1": an unclosed IPv6 bracket
            parts = urlparse("")
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
            self.fail(name, f"{label} must be a web address starting with http:// or https://.")
        elif len(text) > WEBHOOK_URL_LIMIT:
            self.fail(name, f"{label} is longer than the {WEBHOOK_URL_LIMIT:,} characters allowed.")
        else:
            self.values[name] = text

    def picture(self, *, required: bool) -> None:
        value = self.fields.get("picture")
        if _blank(value):
            if required:
                self.fail("picture", NO_SOURCE)
            return
        try:
            self.values["picture"] = encoded_picture(value)
        except BadImage as exc:
            self.fail("picture", str(exc))

    def done(self) -> dict[str, Any]:
        if self.errors:
            raise InvalidRequest(self.errors)
        return {wire: self.values[name] for name, wire in WIRE_NAMES.items() if name in self.values}


def _shape_in_range(value: Any) -> bool:
    """ "W:H" with whole sides of up to two digits, from 21:9 to 9:21."""
    width, colon, height = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not (colon and _digits(width) and _digits(height)):
        return False
    w, h = int(width), int(height)
    sides_ok = 1 <= w <= SHAPE_SIDE_MAX and 1 <= h <= SHAPE_SIDE_MAX
    return sides_ok and TALLEST <= w / h <= WIDEST


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def picture_bytes(value: Any) -> bytes:
    """A picture's bytes from the form (bytes) or a stored body (base64 text, no data-URL
    prefix). Raises BadImage with a plain sentence."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if not isinstance(value, str):
        raise BadImage(NOT_A_PICTURE)
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadImage(NOT_A_PICTURE) from None


def encoded_picture(value: Any) -> str:
    """The base64 of a picture made safe to send (checked, scaled down when huge)."""
    prepared = prepare_reference(picture_bytes(value))
    return base64.b64encode(prepared.data).decode("ascii")


def check(kind: str, fields: Mapping[str, Any]) -> tuple[Kind, str, str, dict[str, Any]]:
    """A form's fields checked once: (kind, model, endpoint, body). Raises InvalidRequest
    with every broken rule, KeyError for a kind BFL does not make, TypeError for a field it
    does not take."""
    known = _kind(kind)
    c = _Checker(fields)
    c.text("prompt", "the prompt", PROMPT_LIMIT, required=True)
    c.shape()
    c.integer("seed", "Seed", 0, SEED_MAX)
    c.choice("model", "Model", MODELS)
    c.picture(required=known == "edit")
    c.choice("output_format", "The file format", OUTPUT_FORMATS)
    c.flag("prompt_upsampling", "Prompt upsampling")
    c.integer("safety", "Safety tolerance", SAFETY_MIN, SAFETY_MAX)
    _check_tolerance_with_picture(c)
    c.url("webhook_url", "The webhook URL")
    c.text("webhook_secret", "the webhook secret", SECRET_LIMIT)
    if "webhook_secret" in c.values and c.given("webhook_url") is None:
        c.fail("webhook_secret", "A webhook secret needs a webhook URL to sign for.")
    model = c.values.pop("model", DEFAULT_MODEL)
    return known, model, ENDPOINTS[model], c.done()


def _check_tolerance_with_picture(c: _Checker) -> None:
    tolerance = c.values.get("safety")
    has_picture = not _blank(c.fields.get("picture"))
    if has_picture and isinstance(tolerance, int) and tolerance > SAFETY_MAX_WITH_PICTURE:
        c.fail(
            "safety",
            f"With a picture sent along, Black Forest Labs allows a safety tolerance of at "
            f"most {SAFETY_MAX_WITH_PICTURE} (it is {tolerance}). Lower it to "
            f"{SAFETY_MAX_WITH_PICTURE} or less.",
        )


def form_fields(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The form fields a stored body was made from. The model is not in the body (it is the
    endpoint): the store's model column says which; without it the default model is used."""
    _kind(kind)
    return {FORM_NAMES[wire]: value for wire, value in body.items() if wire in FORM_NAMES}
