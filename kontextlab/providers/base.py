"""The seam every provider stands behind: what it supports, a prepared request, a job update.

The runner, the store and the pages know these names only, never a provider's wire format.
A provider validates a form once (`prepare`), completes it once before it is recorded
(`finalize`: a drawn seed, the row's tag), and from then on the body is stored and sent as it
is. Adding a provider means one package under `kontextlab/providers/` and one line in
`kontextlab/providers/registry.py`; nothing in the runner or the store changes.
"""

from __future__ import annotations

import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal, Protocol

from kontextlab.vocabulary import JobState

Kind = Literal["create", "edit", "upscale"]
KINDS: tuple[Kind, ...] = ("create", "edit", "upscale")
SECRET_SHOWN = "<hidden>"
SHOWN_TEXT_LIMIT = 10_000  # characters of one value a preview shows (prompts are shorter)


def _shown(value: Any, secret: bool) -> Any:
    if secret:
        return SECRET_SHOWN
    if isinstance(value, str) and len(value) > SHOWN_TEXT_LIMIT:
        return f"<{len(value):,} characters, not shown>"
    return value


RANDOM_SEED_MAX = 2**31 - 1  # drawn seeds stay in a signed 32-bit range every backend takes


def draw_seed() -> int:
    """A random seed for "Random": the app always sends the seed, so it can show it."""
    return secrets.randbelow(RANDOM_SEED_MAX + 1)


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class FieldSpec:
    """How the form draws one field, as a provider describes it (everything optional: a field
    without a spec gets the page's own widget and label)."""

    label: str | None = None  # the form's label in plain words, e.g. "Webhook address"
    short: str | None = None  # its label in History's details
    wire: str | None = None  # its name in the request body, shown only to developers
    choices: tuple[str, ...] = ()  # the values offered
    free: bool = False  # a value not among `choices` may be typed (they are suggestions)
    low: int | None = None  # whole numbers: the smallest and largest allowed
    high: int | None = None
    step_seconds: float | None = None  # a wait counted in steps of this many seconds


NO_SPEC = FieldSpec()


@dataclass(frozen=True)
class Capabilities:
    """What a provider supports, for the pages (which fields to draw) and the store."""

    name: str  # "ltx": stored with every job
    label: str  # "useapi.net (LTX Studio)"
    kinds: tuple[Kind, ...]  # the kinds of job it makes
    fields: Mapping[str, tuple[str, ...]]  # kind → the form fields that kind accepts
    shapes: tuple[str, ...]  # aspect ratios, "W:H"
    default_shape: str
    looks: tuple[str, ...]  # styles; () when the provider has none
    models: tuple[str, ...]
    default_model: str | None
    can_find_lost_jobs: bool  # a job whose answer was lost can be looked for
    can_sync_account: bool  # the account's pictures can be listed ("Sync from account")
    needs_upload: bool  # a reference picture is uploaded first (else sent in the body)
    link_lifetime: timedelta | None  # how long a result link lasts; None: each link says
    credits_per_picture: Mapping[str, float]  # model → credits; a model missing: unknown
    dollars_per_credit: float | None  # None: unknown
    prompt_limit: int
    seed_max: int
    # field name → how the form draws it (choices, ranges, labels); a field missing: no spec
    specs: Mapping[str, FieldSpec] = field(default_factory=lambda: _frozen({}))
    # Body keys whose values are secrets (a webhook's signing secret): sent to the provider,
    # never stored in history, never shown back.
    secret_keys: tuple[str, ...] = ()
    # A running job can be stopped ("Stop"): the provider stops tracking it (`Provider.stop`).
    can_stop: bool = False

    def accepts(self, kind: str, name: str) -> bool:
        return name in self.fields.get(kind, ())

    def without_secrets(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The body as history keeps it: every secret left out."""
        return {k: v for k, v in body.items() if k not in self.secret_keys}

    def masked(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The body as a page shows it: a secret's value replaced by a placeholder, and a
        long text (a picture sent as base64, megabytes) by its length, so a preview drawn on
        every rerun never ships the picture to the browser again."""
        return {k: _shown(v, k in self.secret_keys) for k, v in body.items()}

    def spec(self, name: str) -> FieldSpec:
        return self.specs.get(name, NO_SPEC)

    def cost(self, model: str | None = None) -> float | None:
        """Credits for one picture with this model (the default one when None)."""
        return self.credits_per_picture.get(model or self.default_model or "")

    def dollars(self, model: str | None = None) -> float | None:
        credits = self.cost(model)
        if credits is None or self.dollars_per_credit is None:
            return None
        return credits * self.dollars_per_credit


@dataclass(frozen=True)
class PreparedRequest:
    """A validated request, stored and sent exactly as it is. Build it with a provider's
    `prepare`; its `body` is read-only and `json()` is its canonical text."""

    provider: str
    kind: Kind
    endpoint: str  # relative to the provider's base URL
    body: Mapping[str, Any]
    # The summary the store shows and filters on (None where the request has none).
    prompt: str = ""
    style: str | None = None
    aspect_ratio: str | None = None
    seed: int | None = None
    model: str | None = None
    account: str | None = None  # which of the provider's accounts it runs on, if it says
    source_job: str | None = None  # an upscale's job to start from

    def __post_init__(self) -> None:
        object.__setattr__(self, "body", _frozen(self.body))

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "style": self.style,
            "aspect_ratio": self.aspect_ratio,
            "seed": self.seed,
            "model": self.model,
        }

    def as_dict(self) -> dict[str, Any]:
        """A copy of the body to hand to JSON encoders or the store."""
        return dict(self.body)

    def json(self) -> str:
        """The canonical JSON text of the body (sorted keys, no spaces)."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Picture:
    """A picture a provider holds: a signed link and what it knows about it."""

    url: str | None
    expires_at: datetime | None = None
    mime_type: str | None = None
    file_id: str | None = None  # the provider's id, to start an edit from
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class JobUpdate:
    """Where a job stands, as a provider reports it."""

    job_id: str | None
    state: JobState
    progress: float | None = None  # 0-100
    message: str | None = None
    picture: Picture | None = None
    follow: str | None = None  # opaque: what the provider needs to follow it (a polling URL)
    generation_id: str | None = None
    cost: float | None = None  # credits charged, when the provider says
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_done(self) -> bool:
        """Completed with its picture: a provider may say "completed" before the link."""
        return self.state is JobState.COMPLETED and bool(self.picture and self.picture.url)

    @property
    def is_failed(self) -> bool:
        return self.state is JobState.FAILED

    @property
    def is_finished(self) -> bool:
        return self.is_done or self.is_failed


class RemoteAsset(Protocol):
    """A signed link in an account's picture list."""

    @property
    def asset_url(self) -> str | None: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def file_id(self) -> str | None: ...
    @property
    def mime_type(self) -> str | None: ...


class RemoteItem(Protocol):
    """One picture of an account's list ("Sync from account"), as history merges it."""

    @property
    def id(self) -> str | None: ...
    @property
    def job_id(self) -> str | None: ...
    @property
    def asset(self) -> RemoteAsset | None: ...
    @property
    def thumbnail(self) -> RemoteAsset | None: ...
    @property
    def raw(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class PicturePage:
    items: Sequence[RemoteItem]
    total_pages: int
    current_page: int


class RequestRules(ABC):
    """A provider's request rules, without any network: what the store's import and the
    pages may use offline."""

    capabilities: Capabilities

    @abstractmethod
    def prepare(self, kind: str, fields: Mapping[str, Any]) -> PreparedRequest:
        """Validate a form's fields (by field name) once. Raises `InvalidRequest`."""

    @abstractmethod
    def fields_of(self, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """The form fields a stored body was made from (Re-run, import): `prepare` of them
        gives the same body back."""

    @abstractmethod
    def finalize(self, prepared: PreparedRequest, *, tag: str) -> PreparedRequest:
        """The request as it will be recorded and sent: a seed drawn where none was given
        (the app always shows the seed it sent), and `tag` (the row id) put where the
        provider echoes it, so a lost job can be recognised. Never validates again."""

    def endpoint(self, kind: str) -> str | None:
        """Where a kind of request goes, relative to the base URL (None: not one it sends)."""
        return None

    def upload_request(self, name: str) -> dict[str, Any]:
        """What an "upload" row (a reference picture the user gave) stores as its request."""
        return {"prompt": name}

    def without_account(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A stored or prepared body without the account it runs on (what a visitor of a
        deployer's token may see)."""
        return dict(body)

    def without_tag(self, body: Mapping[str, Any], tag: str) -> dict[str, Any]:
        """A stored body without what `finalize` added as the row's `tag` (not a user's
        setting). A provider that sends no tag returns the body as it is."""
        return dict(body)


class Provider(RequestRules):
    """One image service. Every network call of the app goes through one of these."""

    @abstractmethod
    def submit(self, prepared: PreparedRequest) -> JobUpdate:
        """Send a job (never retried: it may spend credits). Raises `Busy` only when no job
        was made, `OutcomeUnknown` when the answer was lost."""

    @abstractmethod
    def status(self, job_id: str, follow: str | None = None) -> JobUpdate:
        """Where a job stands now. Raises `NotFound` when the provider no longer has it."""

    @abstractmethod
    def download(self, url: str) -> tuple[bytes, str]:
        """A picture's bytes and content type. A 403 here is `LinkExpired`."""

    def upload_reference(
        self, data: bytes, mime_type: str, *, account: str | None = None
    ) -> Picture:
        """Upload a picture to start from (only where `capabilities.needs_upload`)."""
        raise NotImplementedError(f"{self.capabilities.label} takes pictures in the request")

    @abstractmethod
    def balance(self, account: str | None = None) -> float | None:
        """Credits left (on `account`, else the default one); None when unknown."""

    def stop(self, job_id: str) -> None:
        """Stop tracking a running job (only where `capabilities.can_stop`): it no longer
        takes one of the account's slots, and is followed no more. The service may still
        finish it, and charge for it. Raises `NotFound` when the job is not running."""
        raise NotImplementedError(f"{self.capabilities.label} cannot stop a job")

    def accounts(self) -> list[str]:
        """The provider's accounts the token may choose from; [] when it has no such notion."""
        return []

    def max_jobs(self, account: str | None = None) -> int | None:
        """How many jobs the account (every account, for None) runs at once; None when the
        provider does not say. A network call: the runner asks from a worker thread."""
        return None

    def find_lost(
        self,
        request: Mapping[str, Any],
        tag: str,
        *,
        is_known: Callable[[str], bool],
        recent: int = 20,
    ) -> str | None:
        """The job id of a job sent with this stored body (and row tag) whose answer was lost,
        among the jobs no row knows (`is_known`), or None (only where
        `capabilities.can_find_lost_jobs`)."""
        return None

    def list_pictures(
        self, *, account: str | None = None, page: int = 1, limit: int = 20
    ) -> PicturePage:
        """One page of the account's pictures (only where `capabilities.can_sync_account`)."""
        raise NotImplementedError(f"{self.capabilities.label} keeps no picture list")
