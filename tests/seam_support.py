"""Helpers for tests that drive the LTX provider's pieces directly (client, request models)."""

from __future__ import annotations

import dataclasses
from typing import Any

from kontextlab.providers import PreparedRequest
from kontextlab.providers.ltx import Job, LtxProvider, LtxRules
from kontextlab.providers.ltx.client import Client
from kontextlab.providers.ltx.requests import AnyRequest


def prepared(request: AnyRequest) -> PreparedRequest:
    """A request model's fields, prepared (validated once) as a page would."""
    fields = {f.name: getattr(request, f.name) for f in dataclasses.fields(request)}
    return LtxRules().prepare(request.kind, fields)


def send(client: Client, request: AnyRequest) -> Job:
    """Validate a request model and send its body through the LTX client."""
    return client.submit(request.endpoint, request.payload())


def seam(client: Any) -> LtxProvider:
    """The LTX provider around a given client (a real one, or a scripted stand-in)."""
    provider = LtxProvider("http://scripted.invalid", "token")
    provider.client = client
    return provider


def summary_of(request: Any) -> dict[str, Any]:
    """The summary a stored LTX body stands for (what `PreparedRequest.summary` gives), for
    tests that record rows by hand."""
    body = dict(request)
    seed = body.get("seed")
    return {
        "prompt": body.get("prompt") if isinstance(body.get("prompt"), str) else "",
        "style": body.get("style") or None,
        "aspect_ratio": body.get("aspectRatio") or None,
        "seed": seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        "model": body.get("model") or None,
    }
