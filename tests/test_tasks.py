"""The background task runner: one task per (scope, name), bounded, with progress, result
and a sentence when it fails. Workers are held by events, so nothing sleeps for real."""

from __future__ import annotations

import threading

import pytest

from kontextlab.tasks import FAILED_SENTENCE, Busy, Progress, TaskRunner, TaskState

WAIT = 30.0  # generous: only a broken runner waits this long


def held(gate: threading.Event, result: object = "done"):
    def work(progress: Progress) -> object:
        progress("halfway")
        assert gate.wait(WAIT), "the test never opened the gate"
        return result

    return work


def test_a_task_reports_progress_then_its_result() -> None:
    runner, gate = TaskRunner(), threading.Event()
    task = runner.start("visitor-a", "sync", held(gate, 42))
    assert not task.wait(0.05) and task.running
    gate.set()
    assert task.wait(WAIT)
    assert (task.state, task.result, task.progress) == (TaskState.DONE, 42, "halfway")
    assert runner.get("visitor-a", "sync") is task


def test_one_task_per_key_and_visitors_never_share_one() -> None:
    runner, gate = TaskRunner(), threading.Event()
    first = runner.start("visitor-a", "sync", held(gate))
    again = runner.start("visitor-a", "sync", held(gate, "other"))
    stranger = runner.start("visitor-b", "sync", held(gate, "theirs"))
    assert again is first, "a running task is not started twice"
    assert stranger is not first and runner.get("visitor-b", "sync") is stranger
    assert runner.get("visitor-c", "sync") is None
    gate.set()
    assert first.wait(WAIT) and stranger.wait(WAIT)
    assert (first.result, stranger.result) == ("done", "theirs")


def test_running_tasks_are_bounded() -> None:
    runner, gate = TaskRunner(max_running=1), threading.Event()
    task = runner.start("visitor-a", "sync", held(gate))
    with pytest.raises(Busy):
        runner.start("visitor-b", "sync", held(gate))
    gate.set()
    assert task.wait(WAIT)
    assert runner.start("visitor-b", "sync", held(gate)).wait(WAIT), "room again once it ended"


def test_a_failure_is_a_sentence_and_the_key_can_run_again() -> None:
    class Unreachable(Exception):
        user_message = "The API could not be reached."

    def broken(progress: Progress) -> None:
        raise Unreachable("connect timeout")

    def crash(progress: Progress) -> None:
        raise RuntimeError("a bug")

    runner = TaskRunner()
    task = runner.start("visitor-a", "refresh", broken)
    assert task.wait(WAIT)
    assert (task.state, task.error) == (TaskState.FAILED, "The API could not be reached.")
    again = runner.start("visitor-a", "refresh", crash)
    assert again is not task and again.wait(WAIT)
    assert again.error == FAILED_SENTENCE, "no traceback text reaches a page"
    runner.forget("visitor-a", "refresh")
    assert runner.get("visitor-a", "refresh") is None
