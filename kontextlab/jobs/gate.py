"""How many jobs this process sends to one upstream account at a time.

An image service runs only so many jobs of an account at once (useapi.net: its `maxJobs`) and
answers 429 to the next. A batch or the look grid sends many jobs in one click: without a
gate they would all go at once and most would come back busy, each then waiting and trying
again (a storm of 429s). The gate lets a job go only while fewer than the account's limit are
on their way from this process, in the order they arrived; the others wait in their worker
threads, each row saying so. The limit is what the provider says (read once in a while, in a
worker thread), else a default; a busy answer lowers it for a while.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

BUSY_HOLD = 30.0  # seconds a busy answer's lower limit holds before the provider is asked
Key = tuple[str, str, str]  # (who pays: a token's account key, provider name, account or "")


@dataclass
class _Limit:
    slots: int | None  # None while nobody has asked the provider yet
    read_at: float  # monotonic time of the last read (or of the last busy answer)
    reading: bool = False  # a worker is asking the provider now


class AccountGate:
    """Slots per upstream account; thread-safe. A row holds a slot from the moment it may be
    sent until its job ended upstream (`leave`)."""

    def __init__(
        self,
        default_slots: int,
        refresh_after: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default_slots = max(1, default_slots)
        self.refresh_after = refresh_after
        self.clock = clock
        self._cond = threading.Condition()
        self._limits: dict[Key, _Limit] = {}
        self._queues: dict[Key, deque[str]] = {}  # rows waiting, in arrival order
        self._held: dict[str, Key] = {}  # row id → the account whose slot it holds
        self.peak: dict[Key, int] = {}  # the most slots ever held at once (benchmarks, tests)

    # -- reading

    def holding(self, key: Key) -> int:
        with self._cond:
            return self._holding(key)

    def _holding(self, key: Key) -> int:
        return sum(1 for k in self._held.values() if k == key)

    def slots(self, key: Key) -> int | None:
        """The account's limit as the gate knows it now (None: not read yet)."""
        with self._cond:
            limit = self._limits.get(key)
            return limit.slots if limit else None

    # -- waiting for a slot

    def enter(
        self,
        key: Key,
        row_id: str,
        read_slots: Callable[[], int | None],
        *,
        stopped: Callable[[], bool] = lambda: False,
        waiting: Callable[[int], None] = lambda slots: None,
        poll: float = 0.5,
    ) -> bool:
        """Wait until `row_id` may send its job on `key`'s account; True once it holds a
        slot, False when `stopped()` said to give up meanwhile. `read_slots` asks the provider
        for the account's limit (a network call: this runs in a worker thread); `waiting` is
        told the limit once, when the row has to wait."""
        with self._cond:
            self._queues.setdefault(key, deque()).append(row_id)
        told = False
        try:
            while True:
                must_read, slots = False, 0
                with self._cond:
                    if stopped():
                        return False
                    limit = self._limits.setdefault(key, _Limit(None, self.clock()))
                    stale = limit.slots is None or self.clock() - limit.read_at > self.refresh_after
                    if stale and not limit.reading:
                        limit.reading = must_read = True
                    elif limit.slots is not None and self._may_go(key, row_id, limit.slots):
                        self._queues[key].remove(row_id)
                        self._held[row_id] = key
                        self.peak[key] = max(self.peak.get(key, 0), self._holding(key))
                        return True
                    elif not told and limit.slots is not None:
                        told = True
                        slots = limit.slots
                    else:
                        self._cond.wait(poll)
                        continue
                if must_read:
                    self._read(key, read_slots)
                else:
                    waiting(slots)
        finally:
            with self._cond:
                queue = self._queues.get(key)
                if queue is not None and row_id in queue:
                    queue.remove(row_id)
                self._cond.notify_all()

    def _may_go(self, key: Key, row_id: str, slots: int) -> bool:
        free = slots - self._holding(key)
        queue = self._queues[key]
        return free > 0 and row_id in list(queue)[:free]

    def _read(self, key: Key, read_slots: Callable[[], int | None]) -> None:
        try:
            slots = read_slots()
        except Exception:
            slots = None
        with self._cond:
            limit = self._limits[key]
            known = slots if isinstance(slots, int) and slots > 0 else None
            limit.slots = known or limit.slots or self.default_slots
            limit.read_at, limit.reading = self.clock(), False
            self._cond.notify_all()

    # -- leaving, and busy answers

    def leave(self, row_id: str) -> None:
        """The row's job ended upstream (or was never sent): its slot is free. Idempotent."""
        with self._cond:
            if self._held.pop(row_id, None) is not None:
                self._cond.notify_all()

    def busy(self, row_id: str) -> None:
        """The account answered busy although the gate let this row go (jobs from elsewhere,
        or a lower limit in the request): the row gives its slot back (it enters again before
        it tries again), and the limit drops to the jobs still holding one, so no new job
        goes before one of them ended. After a short while the provider is asked again."""
        with self._cond:
            key = self._held.pop(row_id, None)
            if key is None or key not in self._limits:
                return
            limit = self._limits[key]
            limit.slots = max(1, min(limit.slots or self.default_slots, self._holding(key)))
            limit.read_at = self.clock() - self.refresh_after + min(self.refresh_after, BUSY_HOLD)
            self._cond.notify_all()
