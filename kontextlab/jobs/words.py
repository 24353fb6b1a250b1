"""What the job runner says, and how it is tuned: its plain sentences, refusals and settings."""

from __future__ import annotations

from dataclasses import dataclass

from kontextlab.config import DEFAULT_IMAGE_BUDGET_MB, MB
from kontextlab.vocabulary import JobState

UNKNOWN = JobState.UNKNOWN
# An "unknown" job's card leads with UNKNOWN_HEADLINE; its row message says what happened since.
UNKNOWN_HEADLINE = (
    "The app cannot tell whether this picture was made: the server may have made it, "
    "and may have charged for it."
)
LOST_ANSWER_MESSAGE = (
    "The server's answer was lost on the way. The app is looking for the job among your "
    "account's jobs."
)
RESTART_MESSAGE = (
    "The app restarted before the server confirmed this job. The app is looking for it among "
    "your account's jobs."
)
# A provider that offers no way to look for a job whose answer was lost.
NO_SEARCH_MESSAGE = (
    "The server's answer was lost on the way, and this image service offers no way to look "
    "for the job."
)
# The card adds where to look further (History's sync) for those who may sync the account.
NOT_FOUND_MESSAGE = (
    "It is not among your account's running jobs or newest pictures, so it was probably not made."
)
CHECK_FAILED_MESSAGE = (
    "The app could not check your account just now. Try “Check my account” again in a minute."
)


class StoreUnavailable(Exception):
    """The history store stayed unreachable for longer than the runner waits."""


class TooManyJobs(Exception):
    """Another job now would pass a cap on jobs in flight. Nothing was recorded or sent; the
    message is a plain sentence that says what to do."""


UPSCALE_OF_UPSCALE = (
    "This picture is already an upscale, so it cannot be upscaled again. Upscale the "
    "original picture instead."
)
BUSY_PROCESS_MESSAGE = (
    "The app is making a lot of pictures for other people right now; try again in a minute."
)


def waiting_message(slots: int) -> str:
    jobs = "one job" if slots == 1 else f"{slots} jobs"
    return f"Waiting for a free place: the account makes {jobs} at a time."


def group_refusal(count: int, asked: int, cap: int) -> str:
    on_way = f" You already have {count} on the way." if count else ""
    return (
        f"These {asked} pictures are more than the app sends at once ({cap} at most).{on_way} "
        "Wait for some to finish, or ask for fewer."
    )


def busy_scope_message(count: int) -> str:
    pictures = "picture" if count == 1 else "pictures"
    return (
        f"You already have {count} {pictures} on the way; wait for one to finish, then try again."
    )


@dataclass(frozen=True)
class RunnerSettings:
    poll_interval: float = 1.0  # at most one status request per second per job
    slow_poll_interval: float = 3.0  # after `slow_after` seconds, poll more gently
    slow_after: float = 60.0
    give_up_after: float = 30 * 60.0  # a job still active after this is marked failed
    busy_retries: int = 3
    busy_wait: float = 10.0  # when a 429 carries no Retry-After
    artifact_grace: float = 60.0  # "completed" without assetUrl: keep polling this long
    store_patience: float = 120.0  # keep retrying a failed database write this long
    resume_every: float = 2.0  # at most one resume sweep per account this often
    search_every: float = 30.0  # an "unknown" job is looked for at most this often
    search_for: float = 3600.0  # ... and automatically only while it is younger than this
    search_assets: int = 20  # newest account pictures checked for a lost job
    max_in_flight_per_scope: int = 4  # jobs on the way for one visitor (account key)
    max_in_flight: int = 32  # workers in this server process, for every visitor together
    # Jobs sent together (a batch, every look) by one visitor, on the way at once: they go
    # out as the account's slots free up.
    max_group_per_scope: int = 24
    # Jobs of one upstream account on their way at once from this process, where the
    # provider does not say (useapi.net says: its maxJobs, read again after a while).
    account_slots: int = 5
    account_slots_refresh: float = 300.0
    image_budget_bytes: int = int(DEFAULT_IMAGE_BUDGET_MB * MB)  # full images per visitor
    # A process follows a row only while it holds the row's lease; it renews its leases
    # every third of this, so another process takes a row over this long after its
    # follower stopped (crashed, or lost its database).
    lease_seconds: float = 30.0


MISSING_REFERENCE = (
    "The picture this job starts from is no longer on the server (its upload or result has "
    "expired). Upload it again, or pick a newer result."
)


def failure_message(server_message: str | None) -> str:
    """The server's reason for a failed job, made plain where we recognise it."""
    text = (server_message or "").strip()
    lowered = text.lower()
    if "reference" in lowered and ("not found" in lowered or "expired" in lowered):
        return MISSING_REFERENCE
    return text or "The job failed on the server."
