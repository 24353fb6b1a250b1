"""Background tasks for pages: network work (link refresh, sync, account reads) that must not
hold a page run.

A task runs in a daemon thread and is keyed by (scope, name): the scope is a visitor's history
scope, so one visitor never sees, waits on or starts another's task. One task runs per key at a
time; asking again while it runs returns the running one. The number of running threads is
bounded. A page reads a task's state, its last progress sentence, its result or its error
sentence, and may wait for it a short, bounded time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
Work = Callable[[Progress], Any]
FAILED_SENTENCE = "Something went wrong in the background. Please try again."


class TaskState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Busy(RuntimeError):
    """Too many background tasks run right now."""

    def __init__(self) -> None:
        super().__init__("The app is busy with other work right now. Please try again shortly.")


@dataclass
class Task:
    scope: str
    name: str
    started: float = field(default_factory=time.monotonic)
    state: TaskState = TaskState.RUNNING
    progress: str = ""
    result: Any = None
    error: str | None = None
    finished: float | None = None
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        return self.state is TaskState.RUNNING

    def age(self, now: float | None = None) -> float:
        """Seconds since the task finished (0 while it runs)."""
        if self.finished is None:
            return 0.0
        return (now if now is not None else time.monotonic()) - self.finished

    def wait(self, seconds: float) -> bool:
        """Wait at most `seconds` for the task to finish; True when it has."""
        return self._done.wait(max(0.0, seconds))


def describe(exc: BaseException) -> str:
    """The sentence a failed task shows: an error's own user message when it has one."""
    message = getattr(exc, "user_message", None)
    return message if isinstance(message, str) and message else FAILED_SENTENCE


class TaskRunner:
    """Runs page tasks in daemon threads, one per (scope, name), at most `max_running` at once;
    finished tasks are kept `keep_seconds` for pages to read."""

    def __init__(self, max_running: int = 8, keep_seconds: float = 900.0):
        self.max_running = max_running
        self.keep_seconds = keep_seconds
        self._lock = threading.Lock()
        self._tasks: dict[tuple[str, str], Task] = {}

    def get(self, scope: str, name: str) -> Task | None:
        with self._lock:
            return self._tasks.get((scope, name))

    def start(self, scope: str, name: str, work: Work) -> Task:
        """Start `work(progress)` for this key, or return the task already running for it.
        Raises Busy when `max_running` tasks run."""
        with self._lock:
            self._prune()
            current = self._tasks.get((scope, name))
            if current is not None and current.running:
                return current
            if self._running() >= self.max_running:
                raise Busy()
            task = Task(scope, name)
            self._tasks[(scope, name)] = task
        thread = threading.Thread(
            target=self._run, args=(task, work), name=f"task-{name}", daemon=True
        )
        thread.start()
        return task

    def forget(self, scope: str, name: str) -> None:
        """Drop a finished task (its result was shown)."""
        with self._lock:
            task = self._tasks.get((scope, name))
            if task is not None and not task.running:
                del self._tasks[(scope, name)]

    def running_count(self) -> int:
        with self._lock:
            return self._running()

    def _running(self) -> int:
        return sum(1 for t in self._tasks.values() if t.running)

    def _prune(self) -> None:
        now = time.monotonic()
        for key, task in list(self._tasks.items()):
            if not task.running and task.age(now) > self.keep_seconds:
                del self._tasks[key]

    def _run(self, task: Task, work: Work) -> None:
        def progress(text: str) -> None:
            task.progress = text

        try:
            task.result = work(progress)
            task.state = TaskState.DONE
        except Exception as exc:  # a worker never dies silently: the page shows a sentence
            log.exception("background task %s failed", task.name)
            task.error = describe(exc)
            task.state = TaskState.FAILED
        finally:
            task.finished = time.monotonic()
            task._done.set()
