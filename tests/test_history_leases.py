"""Leases on SQLite and PostgreSQL: several app processes share one database, and each
in-flight row is followed by at most one of them at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from kontextlab.history import HistoryStore, JobRecord
from kontextlab.vocabulary import JobState

pytest_plugins = ["tests.pgfixture"]

A, B = "a" * 64, "b" * 64
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def job(store: HistoryStore, key: str = A, status: JobState | None = None) -> str:
    rid = store.add_job(account_key=key, kind="create", request={"prompt": "p"}, summary={})
    if status is not None:
        store.update_job(rid, status=status)
    return rid


def lease(store: HistoryStore, rid: str, key: str = A) -> tuple[str | None, datetime | None]:
    record = store.get(rid, key)
    assert record is not None
    return record.lease_owner, record.lease_until


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(open_history: Callable[..., HistoryStore], clock: Clock) -> HistoryStore:
    return open_history(clock=clock)


def test_a_free_lease_is_taken_and_held_against_another_owner(
    store: HistoryStore, clock: Clock
) -> None:
    rid = job(store)
    assert lease(store, rid) == (None, None)
    assert store.claim(rid, "proc-1", ttl=30) is True
    assert lease(store, rid) == ("proc-1", T0 + timedelta(seconds=30))
    assert store.claim(rid, "proc-2", ttl=30) is False
    clock.advance(10)
    assert store.claim(rid, "proc-1", ttl=30) is True  # already ours: extended
    assert lease(store, rid) == ("proc-1", T0 + timedelta(seconds=40))
    assert store.claim("0" * 32, "proc-1", ttl=30) is False  # no such row


def test_an_expired_lease_passes_to_another_owner_and_is_not_renewed_by_the_first(
    store: HistoryStore, clock: Clock
) -> None:
    first, second = job(store), job(store)
    assert store.claim(first, "proc-1", ttl=30) and store.claim(second, "proc-1", ttl=30)
    clock.advance(20)
    assert store.renew("proc-1", [first, second, "0" * 32], ttl=30) == {first, second}
    assert lease(store, first) == ("proc-1", T0 + timedelta(seconds=50))
    clock.advance(30)  # proc-1 stalled past its lease
    assert store.claim(first, "proc-2", ttl=30) is True
    assert store.renew("proc-1", [first, second], ttl=30) == {second}
    assert lease(store, first) == ("proc-2", T0 + timedelta(seconds=80))
    assert store.renew("proc-2", [], ttl=30) == set()


def test_release_frees_only_the_owners_lease(store: HistoryStore) -> None:
    rid = job(store)
    store.claim(rid, "proc-1", ttl=30)
    store.release(rid, "proc-2")
    assert lease(store, rid)[0] == "proc-1"
    store.release(rid, "proc-1")
    assert lease(store, rid) == (None, None)
    assert store.claim(rid, "proc-2", ttl=30) is True


def test_orphans_are_rows_in_flight_or_lost_whose_lease_is_free_or_expired(
    store: HistoryStore, clock: Clock
) -> None:
    queued = job(store)
    active = job(store, status=JobState.ACTIVE)
    lost = job(store, status=JobState.UNKNOWN)
    followed = job(store, status=JobState.ACTIVE)
    done = job(store, status=JobState.COMPLETED)
    failed = job(store, status=JobState.FAILED)
    theirs = job(store, B, status=JobState.ACTIVE)
    store.claim(followed, "proc-1", ttl=30)
    store.claim(lost, "proc-1", ttl=5)
    assert {r.id for r in store.orphans(A)} == {queued, active}
    assert {r.id for r in store.orphans()} == {queued, active, theirs}
    clock.advance(10)
    orphans = store.orphans(A)
    assert all(isinstance(r, JobRecord) for r in orphans)
    assert {r.id for r in orphans} == {queued, active, lost}  # never done nor failed
    assert done not in {r.id for r in orphans} and failed not in {r.id for r in orphans}
    clock.advance(30)
    assert followed in {r.id for r in store.orphans(A)}


def test_two_owners_racing_for_the_same_rows_never_both_win(
    open_history: Callable[..., HistoryStore],
) -> None:
    """Two processes (two stores: two connection pools) claim the same rows at once: each
    row ends with exactly one owner, the one whose claim said True."""
    stores = [open_history(), open_history()]
    rows = [job(stores[0]) for _ in range(40)]
    start = threading.Barrier(2)
    wins: dict[str, list[str]] = {"proc-1": [], "proc-2": []}
    errors: list[BaseException] = []

    def race(store: HistoryStore, owner: str) -> None:
        try:
            start.wait(timeout=30)
            for rid in rows:
                if store.claim(rid, owner, ttl=60):
                    wins[owner].append(rid)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=race, args=(s, o)) for s, o in zip(stores, wins, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads)
    assert sorted(wins["proc-1"] + wins["proc-2"]) == sorted(rows)  # each row won exactly once
    for owner, won in wins.items():
        assert all(lease(stores[1], rid)[0] == owner for rid in won)
    assert stores[1].orphans(A) == []
