"""LTX Studio request models for flux-create, flux-edit and upscale: validation in plain words
→ payload.

Field names on the wire are the vendor's (`aspectRatio`, `reference_strength`, ...); the
models and the form use Python names. Optional fields left empty are omitted from the payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import Field, dataclass, fields
from typing import Any, ClassVar
from urllib.parse import urlparse

from kontextlab.providers.base import Kind
from kontextlab.providers.errors import FieldError, InvalidRequest
from kontextlab.vocabulary import NO_STYLE, as_int

PROMPT_LIMIT = 2000
TEXT_LIMIT = 2000
ASPECT_RATIOS = ("16:9", "9:16", "1:1")
DEFAULT_ASPECT_RATIO = "16:9"
STYLES = (
    "cinematic",
    "vintage",
    "low_key",
    "indy",
    "y2k",
    "pop",
    "grunge",
    "dreamy",
    "hand_drawn",
    "2d_novel",
    "boost",
    "scribble",
    "film_noir",
    "anime",
    "3d_cartoon",
    "colored",
)
SHOT_ANGLES = ("eye-level", "low-angle", "over-the-shoulder", "overhead", "birds-eye-view")
SHOT_TYPE_SUGGESTIONS = ("wide shot", "medium shot", "close-up")
MODELS = ("flux", "flux-premium", "nano-banana")
SEED_MAX = 2**32 - 1
POLL_MIN, POLL_MAX = 1, 20
POLL_TICK_SECONDS = 3
MAX_JOBS_MIN, MAX_JOBS_MAX = 1, 100
NO_SOURCE = "Please choose the image to edit: upload a picture or pick one of your results."


# Python attribute → wire name, for every field any request may carry.
WIRE_NAMES = {
    "prompt": "prompt",
    "aspect_ratio": "aspectRatio",
    "reference_asset_id": "referenceAssetId",
    "reference_asset_id2": "referenceAssetId2",
    "reference_asset_id3": "referenceAssetId3",
    "reference_strength": "reference_strength",
    "style": "style",
    "shot_type": "shotType",
    "shot_angle": "shotAngle",
    "seed": "seed",
    "model": "model",
    "location": "location",
    "weather": "weather",
    "lighting": "lighting",
    "job_id": "jobId",
    "poll_for_result": "pollForResult",
    "max_jobs": "maxJobs",
    "reply_url": "replyUrl",
    "reply_ref": "replyRef",
    "email": "email",
}
PYTHON_NAMES = {wire: name for name, wire in WIRE_NAMES.items()}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Checker:
    """Collects plain-language errors while reading a request's fields."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.values: dict[str, Any] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def text(
        self,
        field: str,
        value: Any,
        label: str,
        limit: int,
        required: bool = False,
        missing: str | None = None,
    ) -> None:
        if _blank(value):
            if required:
                self.fail(field, missing or f"Please enter {label}.")
            return
        if not isinstance(value, str):
            self.fail(field, f"{label[0].upper()}{label[1:]} must be text.")
            return
        text = value.strip()
        if len(text) > limit:
            self.fail(
                field,
                f"{label[0].upper()}{label[1:]} is {len(text):,} characters long; "
                f"the limit is {limit:,}.",
            )
            return
        self.values[field] = text

    def integer(self, field: str, value: Any, label: str, low: int, high: int) -> None:
        if _blank(value):
            return
        number = as_int(value)
        if number is None or not low <= number <= high:
            self.fail(field, f"{label} must be a whole number from {low:,} to {high:,}.")
            return
        self.values[field] = number

    def choice(self, field: str, value: Any, label: str, options: tuple[str, ...]) -> None:
        if _blank(value):
            return
        if value not in options:
            self.fail(field, f"{label} must be one of: {', '.join(options)}.")
            return
        self.values[field] = value

    def url(self, field: str, value: Any, label: str) -> None:
        if _blank(value):
            return
        text = value.strip() if isinstance(value, str) else ""
        try:
            parts = urlparse(text)
        except ValueError:  # e.g. "http://[::1": an unclosed IPv6 bracket
            parts = urlparse("")
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
            self.fail(field, f"{label} must be a web address starting with http:// or https://.")
            return
        self.values[field] = text

    def email(self, field: str, value: Any) -> None:
        if _blank(value):
            return
        text = value.strip() if isinstance(value, str) else ""
        local, _, domain = text.partition("@")
        if not local or "." not in domain or " " in text:
            self.fail(field, "The account email does not look like an email address.")
            return
        self.values[field] = text

    def done(self) -> dict[str, Any]:
        if self.errors:
            raise InvalidRequest(self.errors)
        return self.values


def _check_common(c: _Checker, req: Any) -> None:
    c.integer(
        "poll_for_result", req.poll_for_result, "Wait time (pollForResult)", POLL_MIN, POLL_MAX
    )
    c.integer("max_jobs", req.max_jobs, "Max parallel jobs (maxJobs)", MAX_JOBS_MIN, MAX_JOBS_MAX)
    c.url("reply_url", req.reply_url, "The webhook URL (replyUrl)")
    c.text("reply_ref", req.reply_ref, "the webhook reference (replyRef)", TEXT_LIMIT)
    c.email("email", req.email)


def _check_generation(c: _Checker, req: Any) -> None:
    c.text("prompt", req.prompt, "the prompt", PROMPT_LIMIT, required=True)
    c.choice("aspect_ratio", req.aspect_ratio, "Aspect ratio", ASPECT_RATIOS)
    c.text("shot_type", req.shot_type, "the shot type", TEXT_LIMIT)
    c.choice("shot_angle", req.shot_angle, "Shot angle", SHOT_ANGLES)
    c.integer("seed", req.seed, "Seed", 0, SEED_MAX)
    c.choice("model", req.model, "Model", MODELS)
    for name in ("location", "weather", "lighting"):
        c.text(name, getattr(req, name), f"the {name}", TEXT_LIMIT)
    _check_common(c, req)


class _Request:
    """Shared behaviour: validation, and the payload as a JSON body."""

    # Every subclass is a dataclass: this declaration lets `fields()` take any of them.
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    endpoint: ClassVar[str]
    kind: ClassVar[Kind]

    def validate(self) -> dict[str, Any]:
        raise NotImplementedError

    def errors(self) -> list[FieldError]:
        try:
            self.validate()
        except InvalidRequest as exc:
            return exc.errors
        return []

    def payload(self) -> dict[str, Any]:
        """The JSON body, wire names only, empty optional fields omitted."""
        values = self.validate()
        order = [f.name for f in fields(self)]
        return {WIRE_NAMES[k]: values[k] for k in order if k in values}


@dataclass
class CreateRequest(_Request):
    prompt: str = ""
    aspect_ratio: str | None = None
    reference_asset_id: str | None = None
    reference_strength: int | None = None
    style: str | None = None
    shot_type: str | None = None
    shot_angle: str | None = None
    seed: int | None = None
    model: str | None = None
    location: str | None = None
    weather: str | None = None
    lighting: str | None = None
    poll_for_result: int | None = None
    max_jobs: int | None = None
    reply_url: str | None = None
    reply_ref: str | None = None
    email: str | None = None

    endpoint = "images/flux-create"
    kind: ClassVar[Kind] = "create"

    def validate(self) -> dict[str, Any]:
        c = _Checker()
        _check_generation(c, self)
        c.text("reference_asset_id", self.reference_asset_id, "the reference image id", TEXT_LIMIT)
        style = None if self.style == NO_STYLE else self.style
        c.choice("style", style, "Style", STYLES)
        c.integer("reference_strength", self.reference_strength, "Reference strength", 0, 100)
        flux_only = c.values.get("model", "flux") != "flux"
        if flux_only and "style" in c.values:
            c.fail("style", "Styles work only with the flux model.")
        if flux_only and "reference_strength" in c.values:
            c.fail("reference_strength", "Reference strength works only with the flux model.")
        return c.done()


@dataclass
class EditRequest(_Request):
    prompt: str = ""
    reference_asset_id: str | None = None
    reference_asset_id2: str | None = None
    reference_asset_id3: str | None = None
    aspect_ratio: str | None = None
    shot_type: str | None = None
    shot_angle: str | None = None
    seed: int | None = None
    model: str | None = None
    location: str | None = None
    weather: str | None = None
    lighting: str | None = None
    poll_for_result: int | None = None
    max_jobs: int | None = None
    reply_url: str | None = None
    reply_ref: str | None = None
    email: str | None = None

    endpoint = "images/flux-edit"
    kind: ClassVar[Kind] = "edit"

    def validate(self) -> dict[str, Any]:
        c = _Checker()
        _check_generation(c, self)
        c.text(
            "reference_asset_id",
            self.reference_asset_id,
            "the image to edit",
            TEXT_LIMIT,
            required=True,
            missing=NO_SOURCE,
        )
        c.text("reference_asset_id2", self.reference_asset_id2, "the second reference", TEXT_LIMIT)
        c.text("reference_asset_id3", self.reference_asset_id3, "the third reference", TEXT_LIMIT)
        if c.values.get("model", "flux") == "flux" and "reference_asset_id3" in c.values:
            c.fail("reference_asset_id3", "A third reference image needs a model other than flux.")
        return c.done()


@dataclass
class UpscaleRequest(_Request):
    job_id: str = ""
    poll_for_result: int | None = None
    max_jobs: int | None = None
    reply_url: str | None = None
    reply_ref: str | None = None
    email: str | None = None

    endpoint = "images/upscale"
    kind: ClassVar[Kind] = "upscale"

    def validate(self) -> dict[str, Any]:
        c = _Checker()
        c.text("job_id", self.job_id, "the job to upscale", TEXT_LIMIT, required=True)
        _check_common(c, self)
        return c.done()


AnyRequest = CreateRequest | EditRequest | UpscaleRequest
REQUEST_TYPES: dict[str, type[AnyRequest]] = {
    "create": CreateRequest,
    "edit": EditRequest,
    "upscale": UpscaleRequest,
}


def field_names(kind: str) -> tuple[str, ...]:
    """The form fields (Python names) a kind of request takes, in wire order."""
    return tuple(f.name for f in fields(REQUEST_TYPES[kind]))


def fields_from_payload(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The form fields a stored wire payload stands for (unknown wire names are dropped)."""
    names = set(field_names(kind))
    return {PYTHON_NAMES[k]: v for k, v in payload.items() if PYTHON_NAMES.get(k) in names}


def request_from_payload(kind: str, payload: Mapping[str, Any]) -> AnyRequest:
    """Rebuild a request model from a stored wire payload (re-run, restore settings)."""
    return REQUEST_TYPES[kind](**fields_from_payload(kind, payload))
