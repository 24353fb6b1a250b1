"""Scripted faults: the next N calls to a route answer badly, in one of seven ways, or make
a job that ends badly, in one of three.

Route keys are the route patterns of the server (see `ROUTES` in server.py and
bfl_routes.py): "images/flux-create", "images/create", "images/flux-edit", "images/edit",
"images/upscale", "assets/" (upload and list), "assets/{jobId}", "accounts",
"accounts/{email}", "scheduler", "scheduler/available", "scheduler/{jobId}", the BFL routes
"flux-kontext-pro", "flux-kontext-max", "get_result", "credits", "_files/{id}" (signed
downloads), or "*" for any. A key may start with a method to narrow it: "POST assets/".
"drop" closes the connection before the request is handled; "lost" handles it (a POST
creates its job and spends credits) and then closes the connection without an answer.

The outcome kinds ("error", "request-moderated", "content-moderated") answer normally: the
job the request makes fails ("Error", or the BFL moderation status; an LTX job fails with
the fault's message either way). A route that makes no job uses them up doing nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

ANSWER_KINDS = ("status", "busy", "html", "malformed", "slow", "drop", "lost")
OUTCOME_KINDS = ("error", "request-moderated", "content-moderated")
KINDS = ANSWER_KINDS + OUTCOME_KINDS


@dataclass
class Fault:
    route: str
    kind: str
    count: int = 1
    status: int = 503
    delay: float = 1.0  # "slow": seconds before the normal answer
    retry_after: int = 10  # "busy": the Retry-After header, in seconds
    message: str = ""  # outcome kinds: the failure message, or the moderation reason

    def matches(self, method: str, route: str) -> bool:
        want_method, _, want_route = self.route.rpartition(" ")
        if want_method and want_method.upper() != method:
            return False
        return want_route in ("*", route)


class FaultPlan:
    """Thread-safe list of pending faults; each answer uses one up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        route: str,
        kind: str = "status",
        *,
        count: int = 1,
        status: int | None = None,
        delay: float = 1.0,
        retry_after: int = 10,
        message: str = "",
    ) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}; use one of {', '.join(KINDS)}.")
        default = 502 if kind == "html" else 503
        fault = Fault(route, kind, count, status or default, delay, retry_after, message)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, route: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.matches(method, route):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)
