"""The useapi.net LTX Studio client: one request funnel, typed errors, a safe retry policy.

Retries: GETs are retried on connection errors, 429 and 5xx with jittered backoff inside a
time budget, honouring Retry-After up to `LONGEST_WAIT` (a longer one gives up at once). A POST
that creates a job spends credits and is never retried here; the caller may resubmit after a
`Busy` (429), which proves no job was made. Downloads stop past `DOWNLOAD_LIMIT` bytes.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast
from urllib.parse import quote

import requests
import urllib3

from kontextlab import APP_NAME, __version__, links, tokens
from kontextlab.payloads import CreateRequest, EditRequest, UpscaleRequest

USER_AGENT = f"{APP_NAME}/{__version__} (+python-requests/{requests.__version__})"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
LONGEST_WAIT = 300.0  # seconds: a longer Retry-After is not slept through, the call gives up
DOWNLOAD_LIMIT = 25 * 1024 * 1024  # bytes: no picture is this large; stop reading past it
DOWNLOAD_CHUNK = 64 * 1024


def wait_words(seconds: float) -> str:
    """How long the server asked to wait, in words: "12 minutes", "3 hours"."""
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{round(seconds / 3600)} hours"


# ---------------------------------------------------------------- errors


class ApiError(Exception):
    """Base of every error the client raises. `message` is the server's own text."""

    status: int | None = None
    plain = "Something went wrong while talking to the image service. Please try again."

    def __init__(self, message: str = "", status: int | None = None, body: Any = None):
        super().__init__(message or self.plain)
        self.message = message
        self.body = body
        if status is not None:
            self.status = status

    @property
    def user_message(self) -> str:
        """One plain sentence for the page."""
        return self.plain


class BadRequest(ApiError):
    status = 400

    @property
    def user_message(self) -> str:
        detail = self.message.rstrip(".") if self.message else "it broke one of its rules"
        return f"The image service did not accept the request: {detail}."


class Unauthorized(ApiError):
    status = 401
    plain = "The API token was not accepted. Check the token in the sidebar or in the secrets."


class BadToken(Unauthorized):
    """The token has a character no token can have; nothing was sent. Its sentence names the
    character and where it is, never the token."""

    @property
    def user_message(self) -> str:
        return self.message or self.plain


class PaymentRequired(ApiError):
    status = 402
    plain = "Your useapi.net account is out of credits or has no active subscription."


class LinkExpired(ApiError):
    status = 403
    plain = "This image link has expired. Refresh the link to get a new one."


class NotFound(ApiError):
    status = 404
    plain = "The server no longer has this job: its record has expired or never existed."


class Busy(ApiError):
    status = 429
    plain = "All your LTX Studio accounts are busy with other jobs. Try again in a few seconds."

    def __init__(
        self,
        message: str = "",
        status: int | None = 429,
        body: Any = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, status, body)
        self.retry_after = retry_after
        self.executing_jobs = body.get("executingJobs", []) if isinstance(body, dict) else []

    @property
    def wait_too_long(self) -> bool:
        """The server asked for a wait longer than anyone should sit through."""
        return self.retry_after is not None and self.retry_after > LONGEST_WAIT

    @property
    def user_message(self) -> str:
        if not self.wait_too_long:
            return self.plain
        return (
            "All your LTX Studio accounts are busy, and the image service asked to wait "
            f"{wait_words(self.retry_after or 0)} before trying again, which is too long to "
            "wait here. Please try again later."
        )


class WrongAddress(ApiError):
    """The base URL answers "not found" for every request: its path is wrong."""

    status = 404

    def __init__(self, address: str, body: Any = None):
        super().__init__(f"Every request to {address} answered 404.", 404, body)
        self.address = address

    @property
    def user_message(self) -> str:
        return (
            f"The API address {self.address} answered “not found” for every request; "
            "check USEAPI_BASE_URL."
        )


class TooLarge(ApiError):
    """A download stopped past the size limit (or announced more than it)."""

    def __init__(self, limit: int):
        super().__init__(f"The file is larger than {limit} bytes.")
        self.limit = limit

    @property
    def user_message(self) -> str:
        megabytes = self.limit / 2**20
        return (
            f"The picture is larger than the {megabytes:g} MB the app accepts, so it was not "
            "downloaded."
        )


class ServerError(ApiError):
    status = 500

    @property
    def user_message(self) -> str:
        return (
            f"The image service is having trouble right now (error {self.status}). "
            "Please try again in a minute."
        )


class _TransportError(ApiError):
    """No HTTP answer came back: `maybe_sent` says whether the server may have seen it."""

    def __init__(
        self,
        message: str = "",
        status: int | None = None,
        body: Any = None,
        *,
        maybe_sent: bool = True,
    ):
        super().__init__(message, status, body)
        # False only when the connection was never made, so the server saw nothing.
        self.maybe_sent = maybe_sent


class Timeout(_TransportError):
    plain = "The image service did not answer in time. Please try again."


class NetworkError(_TransportError):
    plain = "Could not reach the image service. Check the internet connection and try again."


class OutcomeUnknown(ApiError):
    """A job request was sent but its answer was lost: the job may exist and be charged."""

    plain = (
        "The answer from the image service was lost on the way, so the app cannot tell "
        "whether this picture was made. The server may have made it, and may have charged "
        "for it."
    )


class UnreadableResponse(ApiError):
    plain = "The image service sent an answer the app could not read. Please try again."


STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: PaymentRequired,
    403: LinkExpired,
    404: NotFound,
    429: Busy,
}


# ---------------------------------------------------------------- models


class JobStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"


def parse_expiry(ms: Any) -> datetime | None:
    """`expirationDateString` is epoch milliseconds as a string."""
    try:
        return datetime.fromtimestamp(int(str(ms)) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@dataclass(frozen=True)
class Asset:
    """A signed URL and what it points at (job artifact or uploaded reference)."""

    asset_url: str | None
    expires_at: datetime | None
    file_id: str | None
    mime_type: str | None
    type: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Asset | None:
        if not isinstance(data, dict):
            return None
        asset = data.get("asset")
        inner = asset if isinstance(asset, dict) else {}
        return cls(
            asset_url=data.get("assetUrl") or None,
            expires_at=parse_expiry(data.get("expirationDateString")),
            file_id=inner.get("fileId"),
            mime_type=inner.get("mimeType"),
            type=inner.get("type"),
        )


@dataclass(frozen=True)
class Job:
    status: JobStatus
    job_id: str | None = None
    generation_id: str | None = None
    progress: float | None = None
    message: str | None = None
    artifact: Asset | None = None
    reply_ref: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        found = data.get("status")
        status = found if isinstance(found, dict) else {}
        try:
            kind = JobStatus(status.get("type", "active"))
        except ValueError:
            kind = JobStatus.ACTIVE
        progress = status.get("progress")
        return cls(
            status=kind,
            job_id=data.get("jobId"),
            generation_id=data.get("generationId"),
            progress=float(progress) if isinstance(progress, int | float) else None,
            message=status.get("message"),
            artifact=Asset.from_json(status.get("artifact")),
            reply_ref=data.get("replyRef"),
            raw=data,
        )

    @property
    def is_done(self) -> bool:
        # The vendor warns that "completed" and the artifact URL can be out of sync.
        return self.status is JobStatus.COMPLETED and bool(
            self.artifact and self.artifact.asset_url
        )

    @property
    def is_failed(self) -> bool:
        return self.status is JobStatus.FAILED

    @property
    def is_finished(self) -> bool:
        return self.is_done or self.is_failed

    @property
    def expires_at(self) -> datetime | None:
        return self.artifact.expires_at if self.artifact else None


@dataclass(frozen=True)
class AssetItem:
    id: str | None
    job_id: str | None
    asset: Asset | None
    thumbnail: Asset | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AssetItem:
        related = data.get("relatedAssets") or {}
        thumbs = related.get("thumbnails") if isinstance(related, dict) else None
        large = thumbs.get("large") if isinstance(thumbs, dict) else None
        return cls(
            id=data.get("id"),
            job_id=data.get("jobId"),
            asset=Asset.from_json(data.get("signedAsset")),
            thumbnail=Asset.from_json(large),
            raw=data,
        )


@dataclass(frozen=True)
class ScheduledJob:
    """One entry of `GET scheduler`: a job the account is running right now."""

    job_id: str
    reply_ref: str | None = None
    email: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScheduledJob:
        ref = data.get("replyRef")
        return cls(str(data["jobId"]), ref if isinstance(ref, str) else None, data.get("email"))


@dataclass(frozen=True)
class AssetPage:
    items: list[AssetItem]
    total_items: int
    total_pages: int
    current_page: int


# ---------------------------------------------------------------- client


def _retry_after(response: requests.Response) -> float | None:
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


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _vendor_error(body: Any, status: int) -> bool:
    """True for the vendor's error body: `{"error": "<message>", "code": <status>}`."""
    if not isinstance(body, dict):
        return False
    return isinstance(body.get("error"), str) and body.get("code") == status


def _read_at_most(response: requests.Response, limit: int) -> bytes:
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


def error_from_response(response: requests.Response, *, read_body: bool = True) -> ApiError:
    try:
        body = response.json() if read_body else None
    except ValueError:
        body = None
    message = body.get("error", "") if isinstance(body, dict) else ""
    if not isinstance(message, str):
        message = json.dumps(message)
    status = response.status_code
    if status == 429:
        return Busy(message, 429, body, retry_after=_retry_after(response))
    cls = STATUS_ERRORS.get(status, ServerError if status >= 500 else ApiError)
    return cls(message or response.reason or "", status, body)


class Client:
    """Thin, typed access to the LTX Studio API. Every call passes through `_request`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        retry_budget: float = 30.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        download_limit: int = DOWNLOAD_LIMIT,
    ):
        self.base_url = base_url.rstrip("/") + "/"
        pasted = tokens.read_token(token)
        # A refused token is never put in a header: requests would raise UnicodeEncodeError.
        self._token = pasted.token or ""
        self._token_problem = pasted.problem
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retry_budget = retry_budget
        self.max_retries = max_retries
        self.backoff = backoff
        self.sleep = sleep
        self.download_limit = download_limit

    def __repr__(self) -> str:  # never show the token
        return f"Client({self.base_url!r})"

    # -- the funnel

    def _request(
        self,
        method: str,
        path: str,
        *,
        retry: bool = False,
        read_timeout: float | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        if self._token_problem:
            raise BadToken(self._token_problem)
        headers = {"Authorization": f"Bearer {self._token}", "User-Agent": USER_AGENT}
        headers.update(kwargs.pop("headers", {}))
        timeout = (self.timeout[0], read_timeout or self.timeout[1])
        url = self.base_url + path
        return self._send(method, url, retry=retry, headers=headers, timeout=timeout, **kwargs)

    def _send(self, method: str, url: str, *, retry: bool, **kwargs: Any) -> requests.Response:
        start = time.monotonic()
        attempt, slept = 0, 0.0
        while True:
            try:
                response = self.session.request(method, url, **kwargs)
                if response.status_code < 400:
                    return response
                # A streamed download's error page is not read: it could be of any size.
                error = error_from_response(response, read_body=not kwargs.get("stream"))
                wait = _retry_after(response)
                response.close()
            except requests.Timeout as exc:
                error, wait = Timeout(str(exc), maybe_sent=not _never_sent(exc)), None
            except requests.ConnectionError as exc:
                error, wait = NetworkError(str(exc), maybe_sent=not _never_sent(exc)), None
            except requests.RequestException as exc:
                error, wait = NetworkError(str(exc)), None
            retryable = isinstance(error, Timeout | NetworkError) or error.status in RETRY_STATUSES
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

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise UnreadableResponse(
                f"Not JSON (HTTP {response.status_code}): {response.text[:200]!r}",
                response.status_code,
            ) from exc

    def _get(self, path: str, **kwargs: Any) -> Any:
        return self._json(self._request("GET", path, retry=True, **kwargs))

    # -- generation (never retried: each POST may spend credits)

    def submit(
        self, request: CreateRequest | EditRequest | UpscaleRequest, *, multipart: bool = False
    ) -> Job:
        """Send a create / edit / upscale request. Returns the job: finished when
        `pollForResult` caught the end, else just its id (status active)."""
        payload = request.payload()
        wait = int(payload.get("pollForResult") or 0) * 3
        read_timeout = self.timeout[1] + wait  # the server holds the request this long
        try:
            if multipart:
                files = {k: (None, v) for k, v in request.form_fields().items()}
                response = self._request(
                    "POST", request.endpoint, files=files, read_timeout=read_timeout
                )
            else:
                response = self._request(
                    "POST", request.endpoint, json=payload, read_timeout=read_timeout
                )
            data = self._json(response)
            if not isinstance(data, dict) or not data.get("jobId"):
                raise UnreadableResponse(f"No jobId in the answer: {str(data)[:200]}", 200, data)
        except (Timeout, NetworkError) as exc:
            if not exc.maybe_sent:
                raise
            raise OutcomeUnknown(str(exc)) from exc
        except (ServerError, UnreadableResponse) as exc:
            # A 5xx or a garbled 200 may come after the job was made upstream.
            raise OutcomeUnknown(str(exc), exc.status) from exc
        return Job.from_json(data)

    def create(self, request: CreateRequest, **kw: Any) -> Job:
        return self.submit(request, **kw)

    def edit(self, request: EditRequest, **kw: Any) -> Job:
        return self.submit(request, **kw)

    def upscale(self, request: UpscaleRequest, **kw: Any) -> Job:
        return self.submit(request, **kw)

    # -- assets

    def upload_reference(self, data: bytes, mime_type: str, *, email: str | None = None) -> Asset:
        params = {"type": "reference-image"}
        if email:
            params["email"] = email
        response = self._request(
            "POST",
            "assets/",
            params=params,
            data=data,
            headers={"Content-Type": mime_type},
            read_timeout=120,
        )
        asset = Asset.from_json(self._json(response))
        if asset is None or not asset.file_id:
            raise UnreadableResponse("The upload answer had no fileId.", response.status_code)
        return asset

    def job(self, job_id: str) -> Job:
        return Job.from_json(self._get("assets/" + quote(job_id, safe="")))

    def list_assets(
        self, *, email: str | None = None, page: int = 1, limit: int = 20, filter: str = "images"
    ) -> AssetPage:
        params: dict[str, Any] = {"page": page, "limit": limit, "filter": filter}
        if email:
            params["email"] = email
        data = self._get("assets/", params=params)
        meta = data.get("meta", {}) if isinstance(data, dict) else {}
        items = data.get("items", []) if isinstance(data, dict) else []
        return AssetPage(
            items=[AssetItem.from_json(i) for i in items if isinstance(i, dict)],
            total_items=int(meta.get("totalItems", len(items))),
            total_pages=int(meta.get("totalPages", 1)),
            current_page=int(meta.get("currentPage", page)),
        )

    # -- accounts and scheduler

    def accounts(self) -> dict[str, dict[str, Any]]:
        """The configured accounts by email; {} when none is configured. Raises `WrongAddress`
        when the base URL's path is wrong (see `_wrong_address`)."""
        try:
            data = self._get("accounts")
        except NotFound as exc:
            if self._wrong_address(exc):
                raise WrongAddress(links.display_url(self.base_url.rstrip("/")), exc.body) from exc
            return {}
        return data if isinstance(data, dict) else {}

    def _wrong_address(self, not_found: NotFound) -> bool:
        """Tell the vendor's "no accounts" 404 from a base URL with a wrong path.

        `GET accounts` answers 404 when no account is configured, as the vendor's JSON error
        `{"error": "...", "code": 404}`. A wrong path (`…/v1/wrong`) answers 404 too, but from
        whatever serves unknown routes: usually not that JSON (an HTML or text page, another
        shape), and sometimes that same JSON shape (a router with the API's error format, as
        the emulator's "No route for …"). So: a 404 without the vendor's shape is a wrong
        address; with it, probe `GET scheduler/available`, a route that answers whether or
        not accounts are configured. A 404 there too means every request is "not found";
        any other answer means the API is there and simply has no accounts.
        """
        if not _vendor_error(not_found.body, 404):
            return True
        try:
            self.scheduler_available()
        except NotFound:
            return True
        except ApiError:
            return False  # the address answers, just not well right now
        return False

    def account(self, email: str) -> dict[str, Any]:
        # cast: the vendor answers a JSON object on this endpoint (its parsed body is Any).
        return cast("dict[str, Any]", self._get("accounts/" + quote(email, safe="")))

    def balance(self, email: str) -> float | None:
        value = (self.account(email).get("balance") or {}).get("LTXStudio_token")
        return float(value) if isinstance(value, int | float) else None

    def scheduler_available(self) -> dict[str, Any]:
        # cast: the vendor answers a JSON object on this endpoint (its parsed body is Any).
        return cast("dict[str, Any]", self._get("scheduler/available"))

    def scheduler(self) -> list[ScheduledJob]:
        """The account's running jobs, each with the `replyRef` it was sent with."""
        data = self._get("scheduler")
        items = data if isinstance(data, list) else []
        return [ScheduledJob.from_json(i) for i in items if isinstance(i, dict) and i.get("jobId")]

    def cancel(self, job_id: str) -> None:
        self._request("DELETE", "scheduler/" + quote(job_id, safe=""))

    # -- signed URLs (no token: they point at storage, not at the API)

    def download(self, url: str) -> tuple[bytes, str]:
        """Fetch a signed asset URL. Returns (bytes, content type). Raises `TooLarge` past
        `download_limit` bytes, announced or read, whatever host the URL points at."""
        response = self._send(
            "GET",
            url,
            retry=True,
            timeout=(CONNECT_TIMEOUT, 60),
            headers={"User-Agent": USER_AGENT},
            stream=True,
        )
        with response:
            data = _read_at_most(response, self.download_limit)
        return data, response.headers.get("Content-Type", "")
