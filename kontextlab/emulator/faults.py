"""Scripted faults: the next N calls to a route answer badly, in one of seven ways.

Route keys are the route patterns of the server (see `ROUTES` in server.py):
"images/flux-create", "images/create", "images/flux-edit", "images/edit", "images/upscale",
"assets/" (upload and list), "assets/{jobId}", "accounts", "accounts/{email}", "scheduler",
"scheduler/available", "scheduler/{jobId}", "_files/{id}" (signed downloads), or "*" for any.
A key may start with a method to narrow it: "POST assets/", "GET assets/".
"drop" closes the connection before the request is handled; "lost" handles it (a POST
creates its job and spends credits) and then closes the connection without an answer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = ("status", "busy", "html", "malformed", "slow", "drop", "lost")


@dataclass
class Fault:
    route: str
    kind: str
    count: int = 1
    status: int = 503
    delay: float = 1.0  # "slow": seconds before the normal answer
    retry_after: int = 10  # "busy": the Retry-After header, in seconds

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
    ) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}; use one of {', '.join(KINDS)}.")
        default = 502 if kind == "html" else 503
        fault = Fault(route, kind, count, status or default, delay, retry_after)
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
