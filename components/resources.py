"""What a server process holds once for every visitor: settings, the history store, the job
runner, the task runner, the daily-usage counter and the demo emulator (Streamlit resources).
"""

from __future__ import annotations

import os
from typing import NamedTuple
from urllib.parse import urlsplit

import streamlit as st

from kontextlab.config import Settings, load_settings
from kontextlab.history import HistoryStore
from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.tasks import TaskRunner
from kontextlab.visitors import Usage

DEMO_JOB_SECONDS = 4.0


def settings() -> Settings:
    return load_settings(lambda: st.secrets)


@st.cache_resource(show_spinner=False)
def history_store(url: str) -> HistoryStore:
    return HistoryStore(url)


@st.cache_resource(show_spinner=False)
def job_runner(url: str) -> JobRunner:
    # KONTEXTLAB_POLL_INTERVAL lets tests and benchmarks follow jobs faster than once a second.
    interval = float(os.environ.get("KONTEXTLAB_POLL_INTERVAL") or RunnerSettings.poll_interval)
    budget = settings().image_budget_bytes
    return JobRunner(
        history_store(url), RunnerSettings(poll_interval=interval, image_budget_bytes=budget)
    )


class DemoBackend(NamedTuple):
    """The built-in emulator's addresses and (public) keys, for both services."""

    base_url: str
    token: str
    bfl_base_url: str
    bfl_key: str

    def of(self, name: str) -> tuple[str, str]:
        """(base URL, token) of one service's demo."""
        return (self.bfl_base_url, self.bfl_key) if name == "bfl" else (self.base_url, self.token)


@st.cache_resource(show_spinner="Starting the demo emulator…")
def demo_backend() -> DemoBackend:
    """Start the bundled emulator once per server process: one server answers both services'
    routes (LTX under its API prefix, BFL's at the origin)."""
    from kontextlab.emulator import DEMO_BFL_KEY, DEMO_TOKEN, Emulator, EmulatorConfig

    seconds = float(os.environ.get("KONTEXTLAB_DEMO_JOB_SECONDS") or DEMO_JOB_SECONDS)
    # No webhook leaves the demo: visitors are strangers, and a webhook could point anywhere
    # the server reaches. The pages say where it would have gone instead.
    emulator = Emulator(EmulatorConfig.demo(job_seconds=seconds, allow_webhook_hosts=()))
    base_url = emulator.start()
    parts = urlsplit(base_url)
    return DemoBackend(base_url, DEMO_TOKEN, f"{parts.scheme}://{parts.netloc}", DEMO_BFL_KEY)


@st.cache_resource(show_spinner=False)
def usage_counter(url: str) -> Usage:
    return Usage(history_store(url).engine)


@st.cache_resource(show_spinner=False)
def task_runner() -> TaskRunner:
    return TaskRunner()


def tasks() -> TaskRunner:
    """Background work of pages (network calls that must not hold a run)."""
    return task_runner()


def store() -> HistoryStore:
    return history_store(settings().database_url)


def usage() -> Usage:
    return usage_counter(settings().database_url)


def runner() -> JobRunner:
    return job_runner(settings().database_url)
