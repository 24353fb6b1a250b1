"""The words every room shares: a job's state (and what a stopped one says), "no look", and
how a loose value becomes an int.

The runner writes these states, the store keeps them, and the pages show them; nobody compares
raw status strings. ``JobState`` is a ``StrEnum``, so a state read back from the database (a
plain string) compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    QUEUED = "queued"  # recorded, not yet confirmed by the provider
    ACTIVE = "active"  # the provider has the job and is drawing
    COMPLETED = "completed"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the answer to the submit was lost: the job may or may not exist
    STOPPED = "stopped"  # the user stopped it ("Stop"): followed no more, though it may finish

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STATES


ALL_STATES: tuple[JobState, ...] = tuple(JobState)
ACTIVE_STATES: tuple[JobState, ...] = (JobState.QUEUED, JobState.ACTIVE)
FINAL_STATES: tuple[JobState, ...] = (JobState.COMPLETED, JobState.FAILED, JobState.STOPPED)
# A stopped job's row and card say this: the service may still finish it (and charge for it).
STOPPED_MESSAGE = (
    "Stopped. The service may still finish it and charge for it; it will not show here."
)

# "No look": the value a form, the store and a filter use when no style is chosen.
NO_STYLE = "base"


def as_int(value: Any) -> int | None:
    """An integer from an int, an integral float or a plain numeric string; None otherwise.

    Booleans are not numbers here; "²" and other non-ASCII digits are refused.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in ("+", "-") else text
        if digits.isascii() and digits.isdigit():
            return int(text)
    return None
