"""The background job runner: record first, then submit and follow each job in a worker
thread that writes every state into the history store (see ARCHITECTURE.md).

runner.py   JobRunner: submit, resume, check an account, the worker threads
leases.py   which process follows a row (several app processes on one database)
writer.py   patient writes into the store, and the pictures a finished job keeps
words.py    the runner's settings, caps and the sentences it writes into rows
"""

from kontextlab.jobs.runner import JobRunner
from kontextlab.jobs.words import (
    BUSY_PROCESS_MESSAGE,
    CHECK_FAILED_MESSAGE,
    LOST_ANSWER_MESSAGE,
    MISSING_REFERENCE,
    NO_SEARCH_MESSAGE,
    NOT_FOUND_MESSAGE,
    RESTART_MESSAGE,
    UNKNOWN,
    UNKNOWN_HEADLINE,
    UPSCALE_OF_UPSCALE,
    RunnerSettings,
    StoreUnavailable,
    TooManyJobs,
    busy_scope_message,
    failure_message,
)

__all__ = [
    "BUSY_PROCESS_MESSAGE",
    "CHECK_FAILED_MESSAGE",
    "LOST_ANSWER_MESSAGE",
    "MISSING_REFERENCE",
    "NOT_FOUND_MESSAGE",
    "NO_SEARCH_MESSAGE",
    "RESTART_MESSAGE",
    "UNKNOWN",
    "UNKNOWN_HEADLINE",
    "UPSCALE_OF_UPSCALE",
    "JobRunner",
    "RunnerSettings",
    "StoreUnavailable",
    "TooManyJobs",
    "busy_scope_message",
    "failure_message",
]
