"""Every error a provider raises, in families the runner and the pages handle as one.

- `TryLater`: timeouts, no network, busy (429), the service's own trouble (5xx), an answer
  that could not be read. The runner catches this family as one class while following a job.
- `OutcomeUnknown`: a job request was sent and its answer lost; the job may exist.
- `BadRequest`: the service refused the request (400, 422), with field errors where it named
  the fields.
- `Unauthorized` (not authorised: 401, and 403 from the API), `PaymentRequired`, `NotFound`,
  `TooLarge`, `WrongAddress`, and `LinkExpired`: 403 from a signed picture link, only ever
  from a download.

Every error has `user_message`, one plain sentence for the page; `message` is the service's
own text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LONGEST_WAIT = 300.0  # seconds: a longer Retry-After is not slept through, the call gives up


def wait_words(seconds: float) -> str:
    """How long the server asked to wait, in words: "12 minutes", "3 hours"."""
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{round(seconds / 3600)} hours"


@dataclass(frozen=True)
class FieldError:
    field: str  # the form field's name, so a form can show it under its widget
    message: str


class InvalidRequest(ValueError):
    """The request breaks one or more rules; nothing should be sent."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__(" ".join(e.message for e in errors))

    def for_field(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)


class ProviderError(Exception):
    """Base of every error a provider raises. `message` is the server's own text."""

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


# ---------------------------------------------------------------- try again later


class TryLater(ProviderError):
    """The family of passing trouble: asking again later may well work."""


class TransportError(TryLater):
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


class Timeout(TransportError):
    plain = "The image service did not answer in time. Please try again."


class NetworkError(TransportError):
    plain = "Could not reach the image service. Check the internet connection and try again."


class Busy(TryLater):
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


class ServerError(TryLater):
    status = 500

    @property
    def user_message(self) -> str:
        return (
            f"The image service is having trouble right now (error {self.status}). "
            "Please try again in a minute."
        )


class UnreadableResponse(TryLater):
    plain = "The image service sent an answer the app could not read. Please try again."


# ---------------------------------------------------------------- the rest


class OutcomeUnknown(ProviderError):
    """A job request was sent but its answer was lost: the job may exist and be charged."""

    plain = (
        "The answer from the image service was lost on the way, so the app cannot tell "
        "whether this picture was made. The server may have made it, and may have charged "
        "for it."
    )


class BadRequest(ProviderError):
    """The service refused the request; `field_errors` name the fields where it said which."""

    status = 400

    def __init__(
        self,
        message: str = "",
        status: int | None = None,
        body: Any = None,
        field_errors: list[FieldError] | None = None,
    ):
        super().__init__(message, status, body)
        self.field_errors = field_errors or []

    @property
    def user_message(self) -> str:
        detail = self.message.rstrip(".") if self.message else "it broke one of its rules"
        return f"The image service did not accept the request: {detail}."


class Unauthorized(ProviderError):
    """Not authorised: a 401, or a 403 from the API itself (never from a picture link)."""

    status = 401
    plain = "The API token was not accepted. Check the token in the sidebar or in the secrets."


class BadToken(Unauthorized):
    """The token has a character no token can have; nothing was sent. Its sentence names the
    character and where it is, never the token."""

    @property
    def user_message(self) -> str:
        return self.message or self.plain


class PaymentRequired(ProviderError):
    status = 402
    plain = "Your useapi.net account is out of credits or has no active subscription."


class LinkExpired(ProviderError):
    """A 403 from a signed picture link: only downloads raise it."""

    status = 403
    plain = "This image link has expired. Refresh the link to get a new one."


class NotFound(ProviderError):
    status = 404
    plain = "The server no longer has this job: its record has expired or never existed."


class WrongAddress(ProviderError):
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


class TooLarge(ProviderError):
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
