"""The useapi.net LTX Studio client: its wire models, and every call through one funnel.

The retry policy, the error families and the download limit are the shared funnel's
(`kontextlab.providers.http`); this module knows the vendor's paths and JSON shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast
from urllib.parse import quote

import requests

from kontextlab import links, tokens
from kontextlab.providers.errors import (
    BadToken,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    ProviderError,
    ServerError,
    Timeout,
    UnreadableResponse,
    WrongAddress,
)
from kontextlab.providers.http import USER_AGENT, HttpFunnel

# ---------------------------------------------------------------- models


class JobStatus(StrEnum):
    """`status.type` on the wire."""

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
    type: str | None = None  # "artifact", "reference-image"

    @classmethod
    def from_json(cls, data: Any) -> Asset | None:
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
    """One picture of `GET assets/`: what "Sync from account" merges into history."""

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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScheduledJob:
        ref = data.get("replyRef")
        return cls(str(data["jobId"]), ref if isinstance(ref, str) else None)


@dataclass(frozen=True)
class AssetPage:
    items: list[AssetItem]
    total_items: int
    total_pages: int
    current_page: int


def _vendor_error(body: Any, status: int) -> bool:
    """True for the vendor's error body: `{"error": "<message>", "code": <status>}`."""
    if not isinstance(body, dict):
        return False
    return isinstance(body.get("error"), str) and body.get("code") == status


# ---------------------------------------------------------------- client


class Client(HttpFunnel):
    """Thin, typed access to the LTX Studio API. Every call passes through `_request`."""

    def __init__(self, base_url: str, token: str, **funnel: Any):
        super().__init__(**funnel)
        self.base_url = base_url.rstrip("/") + "/"
        pasted = tokens.read_token(token)
        # A refused token is never put in a header: requests would raise UnicodeEncodeError.
        self._token = pasted.token or ""
        self._token_problem = pasted.problem

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
        return self.send(method, url, retry=retry, headers=headers, timeout=timeout, **kwargs)

    def _get(self, path: str, **kwargs: Any) -> Any:
        return self.json_of(self._request("GET", path, retry=True, **kwargs))

    # -- generation (never retried: each POST may spend credits)

    def submit(self, endpoint: str, payload: Mapping[str, Any]) -> Job:
        """Send a create / edit / upscale body as it is. Returns the job: finished when
        `pollForResult` caught the end, else just its id (status active)."""
        wait = int(payload.get("pollForResult") or 0) * 3
        read_timeout = self.timeout[1] + wait  # the server holds the request this long
        try:
            response = self._request(
                "POST", endpoint, json=dict(payload), read_timeout=read_timeout
            )
            data = self.json_of(response)
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
        asset = Asset.from_json(self.json_of(response))
        if asset is None or not asset.file_id:
            raise UnreadableResponse("The upload answer had no fileId.", response.status_code)
        return asset

    def job(self, job_id: str) -> Job:
        return Job.from_json(self._get("assets/" + quote(job_id, safe="")))

    def list_assets(self, *, email: str | None = None, page: int = 1, limit: int = 20) -> AssetPage:
        params: dict[str, Any] = {"page": page, "limit": limit, "filter": "images"}
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
            self._get("scheduler/available")
        except NotFound:
            return True
        except ProviderError:
            return False  # the address answers, just not well right now
        return False

    def account(self, email: str) -> dict[str, Any]:
        # cast: the vendor answers a JSON object on this endpoint (its parsed body is Any).
        return cast("dict[str, Any]", self._get("accounts/" + quote(email, safe="")))

    def balance(self, email: str) -> float | None:
        value = (self.account(email).get("balance") or {}).get("LTXStudio_token")
        return float(value) if isinstance(value, int | float) else None

    def scheduler(self) -> list[ScheduledJob]:
        """The account's running jobs, each with the `replyRef` it was sent with."""
        data = self._get("scheduler")
        items = data if isinstance(data, list) else []
        return [ScheduledJob.from_json(i) for i in items if isinstance(i, dict) and i.get("jobId")]

    def stop_tracking(self, job_id: str) -> None:
        """`DELETE scheduler/{jobId}`: the scheduler stops tracking a running job (204); the
        job itself still runs upstream. `NotFound` when it is not running (any more)."""
        self._request("DELETE", "scheduler/" + quote(job_id, safe=""), retry=True)
