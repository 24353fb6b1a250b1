"""A history row's stored request, read in the seam's field names by the rules of the provider
that made it: the pages never read a provider's wire format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kontextlab import providers
from kontextlab.history import JobRecord
from kontextlab.providers import Capabilities, RequestRules
from kontextlab.vocabulary import NO_STYLE


def rules_of(record: JobRecord) -> RequestRules | None:
    """The rules of the provider that made this row; None for one the app does not know."""
    try:
        return providers.rules(record.provider)
    except KeyError:
        return None


def capabilities_of(record: JobRecord) -> Capabilities:
    """What the row's provider supports (the default provider's, for one the app lacks)."""
    rules = rules_of(record)
    return rules.capabilities if rules else providers.capabilities()


def fields(record: JobRecord, request: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The form fields the row's request (or `request`, a part of it) stands for; {} for a
    kind or a provider the app has no rules for (an upload, a synced job)."""
    rules = rules_of(record)
    if rules is None:
        return {}
    try:
        return rules.fields_of(record.kind, record.request if request is None else request)
    except KeyError:
        return {}


def endpoint(record: JobRecord) -> str:
    """Where the row's request went, relative to the base URL ("" when unknown)."""
    rules = rules_of(record)
    return (rules.endpoint(record.kind) if rules else None) or ""


# A picture's recipe: what it was made with, in plain names. Only these settings go in (never a
# key, a webhook address or secret, an account email, a reference picture or a row's tag).
RECIPE_EXTRAS = (
    "shot_type",
    "shot_angle",
    "reference_strength",
    "location",
    "weather",
    "lighting",
    "prompt_upsampling",
    "safety",
    "output_format",
)


def recipe(record: JobRecord) -> dict[str, Any]:
    """The settings a picture was made with, by plain name: prompt, kind, provider, model,
    look (where the provider has looks; "none" for none), shape, seed, then the few other
    settings of RECIPE_EXTRAS the request has. What a download carries and "Copy settings"
    shows."""
    found = fields(record)
    caps = capabilities_of(record)
    drawn = record.kind != "upscale"  # an upscale has no look, shape or model of its own
    made: dict[str, Any] = {
        "prompt": str(found.get("prompt") or record.prompt or ""),
        "kind": record.kind,
        "provider": record.provider or caps.name,
        "model": found.get("model") or record.model or (caps.default_model if drawn else None),
    }
    if caps.looks and drawn:
        look = found.get("style") or record.style
        made["look"] = look if look and look != NO_STYLE else "none"
    if drawn:
        made["shape"] = found.get("aspect_ratio") or record.aspect_ratio or caps.default_shape
    made["seed"] = record.seed if record.seed is not None else found.get("seed")
    made.update({name: found[name] for name in RECIPE_EXTRAS if found.get(name) is not None})
    return {name: value for name, value in made.items() if value is not None and value != ""}
