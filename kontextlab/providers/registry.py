"""Every provider the app knows, by name: the one place a new provider is added."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kontextlab.providers.base import Capabilities, Provider, RequestRules
from kontextlab.providers.bfl.provider import BflProvider, BflRules
from kontextlab.providers.ltx.provider import LtxProvider, LtxRules

Connect = Callable[..., Provider]  # (base_url, token, **client options) → a provider


DEFAULT = "ltx"
# name → (its request rules, without any network; how to connect to it)
_PROVIDERS: dict[str, tuple[RequestRules, Connect]] = {
    "ltx": (LtxRules(), LtxProvider),
    "bfl": (BflRules(), BflProvider),
}


def rules(name: str = DEFAULT) -> RequestRules:
    """A provider's request rules, without any network (import, previews)."""
    return _PROVIDERS[name][0]


def capabilities(name: str = DEFAULT) -> Capabilities:
    return rules(name).capabilities


def names() -> tuple[str, ...]:
    return tuple(_PROVIDERS)


def connect(name: str | None, base_url: str, token: str, **options: Any) -> Provider:
    """A provider to talk to (the default one when `name` is None); `options` go to its
    client (timeouts, retries)."""
    return _PROVIDERS[name or DEFAULT][1](base_url, token, **options)
