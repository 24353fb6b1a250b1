"""The Black Forest Labs API client: the key, the paths, the task model; every call through
the shared funnel (`kontextlab.providers.http`: retries, error families, download limit).

Following a task always uses the `polling_url` its submit answered: with the global base URL
the task may live on another cluster (`api.eu.bfl.ai`, ...). That URL gets the key, so it is
followed only when it is https on a `bfl.ai` host, or on the configured base's own scheme and
host (a regional base, the emulator); any other is never sent the key, and the task is read at
`{base}/v1/get_result?id=` instead, as it is when the submit answered no polling URL (with a
webhook).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import requests

from kontextlab import links, tokens
from kontextlab.providers.bfl.errors import BflWrongAddress, TaskNotFound, in_bfl_words
from kontextlab.providers.errors import (
    BadToken,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    ProviderError,
    ServerError,
    Timeout,
    UnreadableResponse,
)
from kontextlab.providers.http import USER_AGENT, HttpFunnel

DEFAULT_BASE_URL = "https://api.bfl.ai"
TRUSTED_DOMAIN = "bfl.ai"
LINK_LIFETIME = timedelta(minutes=10)  # a `result.sample` link's life, from when it is read
SUBMIT_READ_TIMEOUT = 120.0  # a body with a picture can be tens of megabytes
KEY_LIMIT = 200  # BFL keys are UUIDs; more is a pasted paragraph
KEY_WORDS = "The Black Forest Labs key"


class TaskStatus(StrEnum):
    """`status` on the wire."""

    PENDING = "Pending"
    READY = "Ready"
    ERROR = "Error"
    FAILED = "Failed"  # not in the reference, but seen from some clusters: same as Error
    REQUEST_MODERATED = "Request Moderated"
    CONTENT_MODERATED = "Content Moderated"
    NOT_FOUND = "Task not found"
    OTHER = "other"  # a status the reference does not name: followed like Pending


def _status(value: Any) -> TaskStatus:
    try:
        return TaskStatus(value)
    except ValueError:
        return TaskStatus.OTHER


def _progress(value: Any) -> float | None:
    """0-100 from a fraction (the reference) or a percentage (tolerated)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    percent = float(value) * 100 if value <= 1 else float(value)
    return percent if percent <= 100 else None


def _reasons(details: Any) -> list[str]:
    """The words of a task's `details` (a text, a list, or an object of lists), at most 5."""
    found: list[str] = []
    stack = [details]
    while stack and len(found) < 5:
        item = stack.pop(0)
        if isinstance(item, str) and item.strip():
            found.append(item.strip()[:200])
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


@dataclass(frozen=True)
class Task:
    """A task as `GET <polling_url>` describes it."""

    status: TaskStatus
    task_id: str | None = None
    progress: float | None = None  # 0-100
    sample: str | None = None  # the picture's signed link, when Ready
    reasons: tuple[str, ...] = ()
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Task:
        result = data.get("result")
        sample = result.get("sample") if isinstance(result, dict) else None
        task_id = data.get("id")
        return cls(
            status=_status(data.get("status")),
            task_id=task_id if isinstance(task_id, str) else None,
            progress=_progress(data.get("progress")),
            sample=sample if isinstance(sample, str) and sample else None,
            reasons=tuple(_reasons(data.get("details"))),
            raw=data,
        )

    @property
    def expires_at(self) -> datetime | None:
        return self.read_at + LINK_LIFETIME if self.sample else None


@dataclass(frozen=True)
class Submitted:
    """The answer to a submit: the task id, where to follow it, and its cost in credits."""

    task_id: str
    polling_url: str | None
    cost: float | None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def key_problem(key: str) -> str | None:
    """A sentence naming what makes a cleaned key unusable in a header, else None."""
    if len(key) > KEY_LIMIT:
        return (
            f"{KEY_WORDS} is {len(key):,} characters long, far longer than a key; copy just "
            "the key again from dashboard.bfl.ai."
        )
    for position, char in enumerate(key, start=1):
        if not "!" <= char <= "~":
            name = unicodedata.name(char, f"U+{ord(char):04X}").lower()
            return (
                f"{KEY_WORDS} contains {name} at position {position}, which no key has; "
                "copy it again from dashboard.bfl.ai."
            )
    return None


def _origin(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return None
    if "@" in parts.netloc or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def trusted_follow(url: Any, base_url: str) -> bool:
    """True when `url` may be sent the key: https on a `bfl.ai` host, or the configured base's
    own scheme and host."""
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    origin = _origin(url)
    if origin is None:
        return False
    if origin == _origin(base_url):
        return True
    host = (urlsplit(url).hostname or "").rstrip(".")
    scheme = origin[0]
    return scheme == "https" and (host == TRUSTED_DOMAIN or host.endswith("." + TRUSTED_DOMAIN))


class Client(HttpFunnel):
    """Thin, typed access to the BFL API. Every call passes through `_request`."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, key: str = "", **funnel: Any):
        super().__init__(**funnel)
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        cleaned = tokens.clean(key or "")
        # A refused key is never put in a header: requests would raise UnicodeEncodeError.
        self._key_problem = key_problem(cleaned)
        self._key = "" if self._key_problem else cleaned

    # -- the funnel

    def _request(
        self,
        method: str,
        url: str,
        *,
        retry: bool = False,
        read_timeout: float | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        if self._key_problem:
            raise BadToken(self._key_problem)
        headers = {"x-key": self._key, "User-Agent": USER_AGENT, "Accept": "application/json"}
        timeout = (self.timeout[0], read_timeout or self.timeout[1])
        try:
            return self.send(method, url, retry=retry, headers=headers, timeout=timeout, **kwargs)
        except ProviderError as exc:
            raise in_bfl_words(exc) from exc

    def _get(self, url: str, **kwargs: Any) -> Any:
        return self.json_of(self._request("GET", url, retry=True, **kwargs))

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    # -- tasks

    def submit(self, endpoint: str, body: Mapping[str, Any]) -> Submitted:
        """Send a task's body as it is (never retried: it spends credits). A lost answer is
        `OutcomeUnknown`: the task may exist and be charged."""
        try:
            response = self._request(
                "POST", self.url(endpoint), json=dict(body), read_timeout=SUBMIT_READ_TIMEOUT
            )
            data = self.json_of(response)
            task_id = data.get("id") if isinstance(data, dict) else None
            if not isinstance(task_id, str) or not task_id:
                raise UnreadableResponse(f"No task id in the answer: {str(data)[:200]}", 200, data)
        except (Timeout, NetworkError) as exc:
            if not exc.maybe_sent:
                raise
            raise OutcomeUnknown(str(exc)) from exc
        except (ServerError, UnreadableResponse) as exc:
            # A 5xx or a garbled 200 may come after the task was made upstream.
            raise OutcomeUnknown(str(exc), exc.status) from exc
        except NotFound as exc:  # a POST to a path that is not there: nothing was made
            raise BflWrongAddress(links.display_url(self.base_url), exc.body) from exc
        polling_url = data.get("polling_url")
        cost = data.get("cost")
        return Submitted(
            task_id=task_id,
            polling_url=polling_url if trusted_follow(polling_url, self.base_url) else None,
            cost=float(cost)
            if isinstance(cost, int | float) and not isinstance(cost, bool)
            else None,
            raw=data,
        )

    def task(self, task_id: str, polling_url: str | None = None) -> Task:
        """Where a task stands: at its polling URL when that may have the key, else at
        `v1/get_result`. Raises `TaskNotFound` when the API no longer knows it."""
        if polling_url and trusted_follow(polling_url, self.base_url):
            data = self._get(polling_url.strip())
        else:
            data = self._get(self.url("v1/get_result"), params={"id": task_id})
        if not isinstance(data, dict):
            raise UnreadableResponse(f"Not a task: {str(data)[:200]}", 200, data)
        task = Task.from_json(data)
        if task.status is TaskStatus.NOT_FOUND:
            raise TaskNotFound("Task not found", 200, data)
        return task

    # -- account

    def credits(self) -> float | None:
        data = self._get(self.url("v1/credits"))
        value = data.get("credits") if isinstance(data, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)
