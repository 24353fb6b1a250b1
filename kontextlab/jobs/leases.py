"""Leases: several app processes may share one database (replicas behind a load balancer on
PostgreSQL). A worker follows a row only while its process holds the row's lease; a heartbeat
renews the leases of the rows this process follows, and a row whose follower stopped is taken
over by another process once its lease lapses. So a job is never followed twice, nor marked
lost while another process still follows it.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable

from kontextlab.history import HistoryStore
from kontextlab.jobs.words import RunnerSettings
from kontextlab.jobs.writer import STORE_TROUBLE, LeaseLost, StoreWriter

log = logging.getLogger(__name__)


HOST = socket.gethostname()[:40]
_LIVE_OWNERS: set[str] = set()  # the runners of this process


def lease_owner() -> str:
    """A runner's name on the leases it holds: host, process and a random part (two runners
    in one process, as in tests, are two owners)."""
    owner = f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}"
    _LIVE_OWNERS.add(owner)
    return owner


def has_stopped(owner: str | None) -> bool:
    """Whether a lease's owner is known to be gone: a process on this host that no longer
    runs (the app restarted), or a runner of this process that is no more. An owner on
    another host is never known to be gone: its leases lapse instead."""
    host, _, rest = (owner or "").partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner not in _LIVE_OWNERS
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # it exists, under another user
        return False
    return False


class LeaseKeeper(StoreWriter):
    """The runner's workers and the leases of the rows they follow."""

    def __init__(
        self,
        store: HistoryStore,
        settings: RunnerSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(store, settings, sleep)
        self._threads: dict[str, threading.Thread] = {}  # row id → its worker
        # Re-entrant: submit and resume hold it across "record or look up, then start", so
        # a resume in another session never sees a just-recorded job as abandoned.
        self._lock = threading.RLock()
        self.owner = lease_owner()
        self._lost: set[str] = set()  # rows whose lease another process took over
        self._halted = threading.Event()
        self._beating: threading.Thread | None = None

    def stop(self, *, release: bool = True) -> None:
        """Stop following jobs: every worker ends at its next write, without writing. With
        `release`, the leases are given up so another process takes the rows over at once;
        without it (a crash, as tests play it) they lapse after `lease_seconds`."""
        self._halted.set()
        if release:
            with self._lock:
                rows = list(self._threads)
            for row_id in rows:
                self._release(row_id)

    def _claim(self, row_id: str) -> bool:
        """Take the row's lease for this process; False when another process holds it."""
        if self._halted.is_set():
            return False
        taken = self.store.claim(row_id, self.owner, ttl=self.settings.lease_seconds)
        if not taken:  # held: by a live process elsewhere, or by one that stopped here
            holder = self.store.lease_holder(row_id)
            if holder and has_stopped(holder):
                ttl = self.settings.lease_seconds
                taken = self.store.claim(row_id, self.owner, ttl=ttl, dead=(holder,))
        if taken:
            with self._lock:
                self._lost.discard(row_id)
        return taken

    def _release(self, row_id: str) -> None:
        try:
            self.store.release(row_id, self.owner)
        except STORE_TROUBLE:  # it lapses on its own
            log.warning("job %s: could not release its lease; it lapses by itself", row_id)

    def _check_lease(self, row_id: str) -> None:
        if self._halted.is_set() or row_id in self._lost:
            raise LeaseLost(row_id)

    def _heartbeat(self) -> None:
        """Renew the leases of the rows this process follows, every third of their life;
        a row whose lease another process took is followed no more."""
        while not self._halted.wait(self.settings.lease_seconds / 3):
            with self._lock:
                rows = {r for r, t in self._threads.items() if t.is_alive()}
                if not rows:
                    self._beating = None
                    return
            try:
                held = self.store.renew(self.owner, rows, ttl=self.settings.lease_seconds)
            except STORE_TROUBLE:
                log.warning("could not renew leases; retrying")
                continue
            with self._lock:
                self._lost |= rows - held

    def _ensure_heartbeat(self) -> None:
        with self._lock:
            if self._beating is None or not self._beating.is_alive():
                self._beating = threading.Thread(
                    target=self._heartbeat, name="job-leases", daemon=True
                )
                self._beating.start()
