"""The BFL routes, under /v1/ next to the LTX routes: submit, follow, credits.

    POST /v1/flux-kontext-pro, POST /v1/flux-kontext-max → {"id", "polling_url", "cost"}
    GET  /v1/get_result?id=<id>                           → {"id", "status", "result", ...}
    GET  /v1/credits                                      → {"credits": n}

Fault route keys: "flux-kontext-pro", "flux-kontext-max", "get_result", "credits".
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from kontextlab.emulator import bfl_rules
from kontextlab.emulator.bfl_world import MODELS, BflFailure
from kontextlab.emulator.config import BFL_COSTS, BFL_PREFIX

if TYPE_CHECKING:
    from kontextlab.emulator.server import Handler

# path after /v1/ → (method, route key)
ROUTES = {
    "flux-kontext-pro": ("POST", "flux-kontext-pro"),
    "flux-kontext-max": ("POST", "flux-kontext-max"),
    "get_result": ("GET", "get_result"),
    "credits": ("GET", "credits"),
}
KEYS = frozenset(key for _, key in ROUTES.values())


def handle(handler: Handler, method: str, path: str, query: dict[str, str], body: bytes) -> None:
    """Answer one request whose path starts with /v1/ (outside the LTX prefix)."""
    rest = path[len(BFL_PREFIX) :]
    route = ROUTES.get(rest)
    if route is None:
        handler.server.record(method, "?", handler.path)
        raise BflFailure(404, "Not Found")
    want, key = route
    handler.server.record(method, key, handler.path)
    if method != want:
        raise BflFailure(405, "Method Not Allowed")
    if handler._fault(method, key, bfl=True):
        return
    desk = handler.server.emulator.bfl
    account = desk.account(handler.headers.get("x-key"))
    if key in MODELS:
        try:
            fields = bfl_rules.parse(handler.headers.get("Content-Type", ""), body)
            values = bfl_rules.check(fields)
        except bfl_rules.Invalid as invalid:
            raise BflFailure(422, invalid.errors) from None
        task = desk.submit(account, key, values, handler.outcome)
        polling_url = f"{handler.server.world.origin}/v1/get_result?id={quote(task.job_id)}"
        answer = {"id": task.job_id, "polling_url": polling_url, "cost": BFL_COSTS[key]}
        handler._json(200, answer)
    elif key == "get_result":
        task_id = query.get("id")
        if task_id is None:
            missing = bfl_rules.error(["query", "id"], "Field required", "missing")
            raise BflFailure(422, [missing])
        handler._json(200, desk.view(task_id, desk.find(account, task_id)))
    else:
        with handler.server.world.lock:
            credits = account.credits
        handler._json(200, {"credits": credits})
