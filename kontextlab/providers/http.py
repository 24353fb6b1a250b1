"""The HTTP funnel every provider's client shares: one send loop, a safe retry policy, typed
errors, and downloads that stop at a size limit.

Retries: GETs are retried on connection errors, 429 and 5xx with jittered backoff inside a
time budget, honouring Retry-After up to `LONGEST_WAIT` (a longer one gives up at once). A POST
that creates a job spends credits and is never retried here; the caller may resubmit after a
`Busy` (429), which proves no job was made. Downloads stop past `DOWNLOAD_LIMIT` bytes, and a
403 from a download (a signed link) is `LinkExpired`; from the API it is `Unauthorized`.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
import urllib3

from kontextlab import APP_NAME, __version__
from kontextlab.providers.errors import (
    LONGEST_WAIT,
    BadRequest,
    Busy,
    LinkExpired,
    NetworkError,
    NotFound,
    PaymentRequired,
    ProviderError,
    ServerError,
    Timeout,
    TooLarge,
    TransportError,
    Unauthorized,
    UnreadableResponse,
)

USER_AGENT = f"{APP_NAME}/{__version__} (+python-requests/{requests.__version__})"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DOWNLOAD_LIMIT = 25 * 1024 * 1024  # bytes: no picture is this large; stop reading past it
DOWNLOAD_CHUNK = 64 * 1024

STATUS_ERRORS: dict[int, type[ProviderError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: PaymentRequired,
    403: Unauthorized,  # from the API; a download's 403 is LinkExpired
    404: NotFound,
    422: BadRequest,
}


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):  # "soon", "-5": not a number of seconds nor a date
        return None
    if parsed.tzinfo is None:  # "-0000" in an HTTP date means UTC
        parsed = parsed.replace(tzinfo=UTC)
    return max(0.0, (parsed - datetime.now(UTC)).total_seconds())


def never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def read_at_most(response: requests.Response, limit: int) -> bytes:
    """The body of a streamed response, refusing it before or while reading past `limit`."""
    announced = response.headers.get("Content-Length", "").strip()
    if announced.isdigit() and int(announced) > limit:
        raise TooLarge(limit)
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(DOWNLOAD_CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(limit)
            chunks.append(chunk)
    except requests.Timeout as exc:
        raise Timeout(str(exc)) from exc
    except requests.RequestException as exc:
        raise NetworkError(str(exc)) from exc
    return b"".join(chunks)


def _server_text(body: Any) -> str:
    """The service's own words: `{"error": "..."}` (useapi.net) or `{"detail": "..."}`."""
    if not isinstance(body, dict):
        return ""
    for key in ("error", "detail"):
        if key in body:
            value = body[key]
            return value if isinstance(value, str) else json.dumps(value)
    return ""


def error_from_response(
    response: requests.Response, *, read_body: bool = True, download: bool = False
) -> ProviderError:
    try:
        body = response.json() if read_body else None
    except ValueError:
        body = None
    message = _server_text(body)
    status = response.status_code
    if status == 429:
        return Busy(message, 429, body, retry_after=retry_after(response))
    if status == 403 and download:
        return LinkExpired(message or response.reason or "", status, body)
    cls = STATUS_ERRORS.get(status, ServerError if status >= 500 else ProviderError)
    return cls(message or response.reason or "", status, body)


class HttpFunnel:
    """Sends requests with the retry policy above; providers' clients build on it (and set
    `base_url`)."""

    base_url: str

    def __repr__(self) -> str:  # never shows the token or key the client holds
        return f"{type(self).__name__}({self.base_url!r})"

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        retry_budget: float = 30.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        download_limit: int = DOWNLOAD_LIMIT,
    ):
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retry_budget = retry_budget
        self.max_retries = max_retries
        self.backoff = backoff
        self.sleep = sleep
        self.download_limit = download_limit

    def send(
        self, method: str, url: str, *, retry: bool, download: bool = False, **kwargs: Any
    ) -> requests.Response:
        start = time.monotonic()
        attempt, slept = 0, 0.0
        while True:
            try:
                response = self.session.request(method, url, **kwargs)
                if response.status_code < 400:
                    return response
                # A streamed download's error page is not read: it could be of any size.
                error = error_from_response(
                    response, read_body=not kwargs.get("stream"), download=download
                )
                wait = retry_after(response)
                response.close()
            except requests.Timeout as exc:
                error, wait = Timeout(str(exc), maybe_sent=not never_sent(exc)), None
            except requests.ConnectionError as exc:
                error, wait = NetworkError(str(exc), maybe_sent=not never_sent(exc)), None
            except requests.RequestException as exc:
                error, wait = NetworkError(str(exc)), None
            retryable = isinstance(error, TransportError) or error.status in RETRY_STATUSES
            delay = wait if wait is not None else self._backoff(attempt)
            if not (retry and retryable and attempt < self.max_retries) or delay > LONGEST_WAIT:
                raise error
            # Count the waits too: an injected sleep does not move the clock.
            if max(time.monotonic() - start, slept) + delay > self.retry_budget:
                raise error
            attempt, slept = attempt + 1, slept + delay
            self.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        growth: int = 2**attempt  # int ** int is typed Any (a negative power is a float)
        return min(8.0, self.backoff * growth) * random.uniform(0.5, 1.0)

    @staticmethod
    def json_of(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise UnreadableResponse(
                f"Not JSON (HTTP {response.status_code}): {response.text[:200]!r}",
                response.status_code,
            ) from exc

    def download(self, url: str) -> tuple[bytes, str]:
        """Fetch a signed picture URL (no token: it points at storage, not at the API).
        Returns (bytes, content type). Raises `TooLarge` past `download_limit` bytes,
        announced or read, whatever host the URL points at; `LinkExpired` on a 403."""
        response = self.send(
            "GET",
            url,
            retry=True,
            download=True,
            timeout=(CONNECT_TIMEOUT, 60),
            headers={"User-Agent": USER_AGENT},
            stream=True,
        )
        with response:
            data = read_at_most(response, self.download_limit)
        return data, response.headers.get("Content-Type", "")
