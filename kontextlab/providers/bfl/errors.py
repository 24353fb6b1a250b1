"""The seam's error families in Black Forest Labs' words: each is a subclass of the family the
runner and the pages already handle, with a sentence that names the right service and key."""

from __future__ import annotations

from typing import Any

from kontextlab.providers.bfl.rules import FORM_NAMES
from kontextlab.providers.errors import (
    BadRequest,
    Busy,
    FieldError,
    NotFound,
    PaymentRequired,
    ProviderError,
    Unauthorized,
    WrongAddress,
    wait_words,
)

SERVICE = "Black Forest Labs"

# The form's words for a field the API names in a 422 (by its wire name).
FIELD_WORDS = {
    "prompt": "the prompt",
    "input_image": "the picture",
    "seed": "the seed",
    "aspect_ratio": "the shape",
    "output_format": "the file format",
    "prompt_upsampling": "prompt upsampling",
    "safety_tolerance": "the safety tolerance",
    "webhook_url": "the webhook URL",
    "webhook_secret": "the webhook secret",
}


class KeyRefused(Unauthorized):
    plain = (
        "The Black Forest Labs key was not accepted. Check the key in the sidebar or in the "
        "secrets (BFL_API_KEY)."
    )


class OutOfCredits(PaymentRequired):
    plain = (
        "Your Black Forest Labs account has run out of credits. Add credits at "
        "dashboard.bfl.ai, then try again."
    )


class TasksBusy(Busy):
    plain = (
        "Black Forest Labs is already running as many of your tasks as your key allows. "
        "Try again in a few seconds."
    )

    @property
    def user_message(self) -> str:
        if not self.wait_too_long:
            return self.plain
        return (
            "Black Forest Labs is running as many of your tasks as your key allows, and asked "
            f"to wait {wait_words(self.retry_after or 0)} before trying again, which is too "
            "long to wait here. Please try again later."
        )


class Refused(BadRequest):
    """A 400 or 422: the request broke one of the API's rules, named where it said which."""

    @property
    def user_message(self) -> str:
        detail = self.message.rstrip(".") if self.message else "it broke one of its rules"
        return f"Black Forest Labs did not accept the request: {detail}."


class TaskNotFound(NotFound):
    plain = (
        "Black Forest Labs no longer has this task: it has expired (tasks are kept for a "
        "short time) or never existed."
    )


class BflWrongAddress(WrongAddress):
    @property
    def user_message(self) -> str:
        return (
            f"The API address {self.address} answered “not found”; check BFL_BASE_URL "
            "(for example https://api.bfl.ai)."
        )


def refused(error: BadRequest) -> Refused:
    """A 422 in FastAPI's shape (`{"detail": [{"loc": ["body", "seed"], "msg": ...}]}`) with
    each field it names; a plain `{"detail": "..."}` as it is."""
    body = error.body
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list):
        text = detail if isinstance(detail, str) else error.message
        return Refused(text, error.status, body)
    found = [_field_error(item) for item in detail if isinstance(item, dict)]
    errors = [e for e in found if e is not None]
    text = "; ".join(e.message for e in errors) or "it broke one of its rules"
    return Refused(text, error.status, body, field_errors=errors)


def _field_error(item: dict[str, Any]) -> FieldError | None:
    loc = item.get("loc")
    names = [part for part in loc if isinstance(part, str)] if isinstance(loc, list) else []
    name = next((part for part in reversed(names) if part != "body"), "")
    msg = item.get("msg")
    reason = msg.strip().rstrip(".") if isinstance(msg, str) and msg.strip() else "not accepted"
    if not name:
        return FieldError("", reason) if isinstance(msg, str) else None
    words = FIELD_WORDS.get(name, f"the field “{name[:60]}”")
    return FieldError(FORM_NAMES.get(name, name[:60]), f"{words}: {reason[:300]}")


def in_bfl_words(error: ProviderError) -> ProviderError:
    """The error the shared funnel raised, as its Black Forest Labs subclass where the
    sentence should name Black Forest Labs; the rest (timeouts, 5xx, ...) as they are."""
    args = (error.message, error.status, error.body)
    if isinstance(error, Busy) and not isinstance(error, TasksBusy):
        return TasksBusy(*args, retry_after=error.retry_after)
    if type(error) is Unauthorized:  # a BadToken (refused before sending) keeps its sentence
        return KeyRefused(*args)
    if type(error) is PaymentRequired:
        return OutOfCredits(*args)
    if type(error) is BadRequest:
        return refused(error)
    if type(error) is NotFound:
        return TaskNotFound(*args)
    return error
