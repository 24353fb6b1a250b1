"""What each provider accepts in an imported history, as rules for the store's import.

The store knows no provider (kontextlab/history/transfer.py takes these rules as data): each
provider's looks, shapes, models and request rules come from the provider registry, so a new
provider's imports are checked by its own rules without a change here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kontextlab import providers
from kontextlab.history import ImportRules
from kontextlab.providers import InvalidRequest, RequestRules


def _rebuilder(rules: RequestRules) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    def rebuild(kind: str, request: dict[str, Any]) -> dict[str, Any]:
        """The request as the provider would send it; ValueError when its rules refuse it."""
        try:
            return rules.prepare(kind, rules.fields_of(kind, request)).as_dict()
        except (InvalidRequest, KeyError, TypeError) as exc:
            raise ValueError(f"not a {kind} request the app would send") from exc

    return rebuild


def _import_rules(name: str) -> ImportRules:
    rules = providers.rules(name)
    caps = rules.capabilities
    return ImportRules(
        styles=caps.looks,
        aspect_ratios=caps.shapes,
        models=caps.models,
        seed_max=caps.seed_max,
        prompt_limit=caps.prompt_limit,
        rebuild=_rebuilder(rules),
    )


IMPORT_RULES: dict[str, ImportRules] = {name: _import_rules(name) for name in providers.names()}
