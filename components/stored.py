"""A history row's stored request, read in the seam's field names by the rules of the provider
that made it: the pages never read a provider's wire format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kontextlab import providers
from kontextlab.history import JobRecord
from kontextlab.providers import Capabilities, RequestRules


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
