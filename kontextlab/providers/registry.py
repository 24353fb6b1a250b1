"""Every provider the app knows, by name: the one place a new provider is added."""

from __future__ import annotations

from kontextlab.providers.base import Capabilities, RequestRules
from kontextlab.providers.bfl.provider import BflRules
from kontextlab.providers.ltx.provider import LtxRules

DEFAULT = "ltx"
_RULES: dict[str, RequestRules] = {"ltx": LtxRules(), "bfl": BflRules()}


def rules(name: str = DEFAULT) -> RequestRules:
    """A provider's request rules, without any network (import, previews)."""
    return _RULES[name]


def capabilities(name: str = DEFAULT) -> Capabilities:
    return _RULES[name].capabilities


def names() -> tuple[str, ...]:
    return tuple(_RULES)
