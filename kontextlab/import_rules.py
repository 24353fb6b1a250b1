"""What each provider accepts in an imported history, as rules for the store's import.

The store knows no provider (kontextlab/history/transfer.py takes these rules as data): each
provider's looks, shapes, models and request models come from that provider's own module.
"""

from __future__ import annotations

from typing import Any

from kontextlab import payloads
from kontextlab.history import ImportRules


def _rebuild_ltx(kind: str, request: dict[str, Any]) -> dict[str, Any]:
    """The request as the LTX request models would send it; ValueError when they refuse it."""
    try:
        return payloads.request_from_payload(kind, request).payload()
    except (KeyError, TypeError) as exc:  # an unknown kind, or a field of the wrong type
        raise ValueError(f"not a {kind} request the app would send") from exc


LTX = ImportRules(
    styles=payloads.STYLES,
    aspect_ratios=payloads.ASPECT_RATIOS,
    models=payloads.MODELS,
    seed_max=payloads.SEED_MAX,
    prompt_limit=payloads.PROMPT_LIMIT,
    rebuild=_rebuild_ltx,
)
IMPORT_RULES: dict[str, ImportRules] = {"ltx": LTX}
