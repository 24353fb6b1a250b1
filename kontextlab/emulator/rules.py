"""The emulator's own request rules, written from API.md and the vendor's pages.

They are independent of the app's request models on purpose: a rule shared with the client
would let a client bug pass every test that talks to the emulator.

Bodies come as JSON, multipart/form-data or urlencoded. Form values are always strings, so
integer fields accept plain decimal digits there; a JSON body must carry integers as JSON
numbers, as every example on the vendor's pages does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

PROMPT_LIMIT = 2000
TEXT_LIMIT = 2000  # our choice for free text whose limit the vendor does not state
SEED_MAX = 2**32 - 1  # our choice: the vendor says only "integer"
ASPECT_RATIOS = ("16:9", "9:16", "1:1")
NO_STYLE = "base"  # the documented default; sending it is accepted
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
MODELS = ("flux", "flux-premium", "nano-banana")
DEFAULT_MODEL = "flux"
FLUX_ONLY = ("style", "reference_strength")
NOT_WITH_FLUX = ("referenceAssetId3",)
DIGITS = re.compile(r"-?[0-9]+")


class RuleBroken(ValueError):
    """A request field breaks a rule; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Rule:
    kind: str  # "text", "integer", "choice", "url" or "email"
    required: bool = False
    low: int = 0  # integers: the smallest value; text: the shortest length
    high: int = TEXT_LIMIT  # integers: the largest value; text: the longest length
    choices: tuple[str, ...] = ()


def text(shortest: int = 0, longest: int = TEXT_LIMIT, *, required: bool = False) -> Rule:
    return Rule("text", required, shortest, longest)


def integer(low: int, high: int) -> Rule:
    return Rule("integer", low=low, high=high)


def choice(*options: str) -> Rule:
    return Rule("choice", choices=options)


DELIVERY = {
    "pollForResult": integer(1, 20),
    "maxJobs": integer(1, 100),
    "replyUrl": Rule("url"),
    "replyRef": text(),
    "email": Rule("email"),
}
PICTURE = {
    "prompt": text(1, PROMPT_LIMIT, required=True),
    "aspectRatio": choice(*ASPECT_RATIOS),
    "shotType": text(),
    "shotAngle": choice(*SHOT_ANGLES),
    "seed": integer(0, SEED_MAX),
    "model": choice(*MODELS),
    "location": text(),
    "weather": text(),
    "lighting": text(),
}
ENDPOINTS: dict[str, dict[str, Rule]] = {
    "create": {
        **PICTURE,
        "referenceAssetId": text(1),
        "reference_strength": integer(0, 100),
        "style": choice(NO_STYLE, *STYLES),
        **DELIVERY,
    },
    "edit": {
        **PICTURE,
        "referenceAssetId": text(1, required=True),
        "referenceAssetId2": text(1),
        "referenceAssetId3": text(1),
        **DELIVERY,
    },
    "upscale": {"jobId": text(1, required=True), **DELIVERY},
}
ROUTE_KINDS = {
    "images/flux-create": "create",
    "images/create": "create",
    "images/flux-edit": "edit",
    "images/edit": "edit",
    "images/upscale": "upscale",
}


def check(kind: str, fields: dict[str, Any], *, form: bool = False) -> dict[str, Any]:
    """The request's values (integers as int) when every rule holds; else `RuleBroken`."""
    rules = ENDPOINTS[kind]
    unknown = [name for name in fields if name not in rules]
    if unknown:
        raise RuleBroken(unknown[0], f"Unknown parameter {unknown[0]}.")
    values: dict[str, Any] = {}
    for name, rule in rules.items():
        if name in fields:
            values[name] = _read(name, rule, fields[name], form)
        elif rule.required:
            raise RuleBroken(name, f"Parameter {name} is required.")
    _check_model(values)
    return values


def _check_model(values: dict[str, Any]) -> None:
    model = values.get("model", DEFAULT_MODEL)
    for name in FLUX_ONLY:
        if name in values and model != DEFAULT_MODEL:
            raise RuleBroken(name, f"Parameter {name} works only with model {DEFAULT_MODEL}.")
    for name in NOT_WITH_FLUX:
        if name in values and model == DEFAULT_MODEL:
            raise RuleBroken(name, f"Parameter {name} does not work with model {DEFAULT_MODEL}.")


def _read(name: str, rule: Rule, value: Any, form: bool) -> Any:
    if rule.kind == "integer":
        return _integer(name, rule, value, form)
    if not isinstance(value, str):
        raise RuleBroken(name, f"Parameter {name} must be text.")
    if rule.kind == "choice":
        if value not in rule.choices:
            raise RuleBroken(name, f"Parameter {name} must be one of {', '.join(rule.choices)}.")
        return value
    if rule.kind == "url":
        return _url(name, value)
    if rule.kind == "email":
        return _email(name, value)
    return _text(name, rule, value)


def _integer(name: str, rule: Rule, value: Any, form: bool) -> int:
    number: int | None = None
    if form and isinstance(value, str) and DIGITS.fullmatch(value):
        number = int(value)
    elif not form and isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif not form and isinstance(value, float) and value.is_integer():
        number = int(value)  # JSON has one number type: 10.0 is 10
    if number is None:
        raise RuleBroken(name, f"Parameter {name} must be an integer.")
    if not rule.low <= number <= rule.high:
        raise RuleBroken(name, f"Parameter {name} must be from {rule.low} to {rule.high}.")
    return number


def _text(name: str, rule: Rule, value: str) -> str:
    if rule.required and not value.strip():
        raise RuleBroken(name, f"Parameter {name} is required.")
    if len(value) < rule.low:
        raise RuleBroken(name, f"Parameter {name} must not be empty.")
    if len(value) > rule.high:
        raise RuleBroken(
            name, f"Parameter {name} is {len(value)} characters long; the limit is {rule.high}."
        )
    return value


def _url(name: str, value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed IPv6 bracket
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", value):
        raise RuleBroken(name, f"Parameter {name} must be an http or https URL.")
    if len(value) > TEXT_LIMIT:
        raise RuleBroken(name, f"Parameter {name} is longer than {TEXT_LIMIT} characters.")
    return value


def _email(name: str, value: str) -> str:
    local, at, domain = value.partition("@")
    if not (local and at and domain) or re.search(r"\s", value) or len(value) > TEXT_LIMIT:
        raise RuleBroken(name, f"Parameter {name} must be an email address.")
    return value
