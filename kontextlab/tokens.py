"""API tokens as people paste them: what is invisible is removed, anything else is named.

A token travels in the `Authorization` header, which carries plain ASCII: `requests` refuses
anything outside latin-1 (a UnicodeEncodeError deep inside http.client), and the server would
refuse the rest. Tokens are copied from web pages, chats and e-mails, which add spaces, line
breaks, zero-width characters and byte-order marks, and turn quotes and hyphens into curly
quotes and dashes. No useapi.net token contains whitespace, so all of it is removed; any other
character outside printable ASCII makes the token unusable, and the sentence names it (never
the token itself: only the one character that cannot be part of a token, and where it is).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MAX_LENGTH = 500  # useapi.net tokens are far shorter; more is a pasted paragraph
FIRST_PRINTABLE, LAST_PRINTABLE = "!", "~"  # printable ASCII without the space

COPY_AGAIN = "copy it again from useapi.net"
QUOTES = frozenset("“”„‟«»‹›〝〞＂")
APOSTROPHES = frozenset("‘’‚‛′″´")
DASHES = frozenset("‐‑‒–—―−﹣－")
NAMES = {
    **dict.fromkeys(QUOTES, "a curly quote"),
    **dict.fromkeys(APOSTROPHES, "a curly apostrophe"),
    **dict.fromkeys(DASHES, "a typographic dash"),
    "–": "an en dash",
    "—": "an em dash",
    "…": "an ellipsis",
}
ADVICE = {
    **dict.fromkeys(QUOTES | APOSTROPHES, f"{COPY_AGAIN}, or type plain quotes"),
    **dict.fromkeys(DASHES, f"{COPY_AGAIN}, or type a plain hyphen (-)"),
    "…": f"it looks shortened, so {COPY_AGAIN} in full",
}


@dataclass(frozen=True)
class PastedToken:
    """A token ready to send (`token`), or none: empty, or refused with a sentence."""

    token: str | None
    problem: str | None = None


def is_invisible(char: str) -> bool:
    """Whitespace of any kind (spaces, NBSP, line breaks, tabs) and invisible formatting
    characters (zero-width space and joiners, word joiner, BOM, soft hyphen, direction marks)."""
    return char.isspace() or unicodedata.category(char) == "Cf"


def clean(raw: str) -> str:
    """The text without whitespace and invisible characters, wherever they are."""
    return "".join(char for char in raw if not is_invisible(char))


def _describe(char: str) -> str:
    if char in NAMES:
        return f"{char} ({NAMES[char]})"
    if unicodedata.category(char) == "Cc":
        return f"an invisible control character (U+{ord(char):04X})"
    name = unicodedata.name(char, "").lower()
    return f"{char} ({name})" if name else f"the character U+{ord(char):04X}"


def problem(token: str, what: str = "The token") -> str | None:
    """A sentence naming the first character a token cannot contain, else None.

    `token` is already cleaned; positions count from 1 in it."""
    if len(token) > MAX_LENGTH:
        return (
            f"{what} is {len(token):,} characters long, far longer than a useapi.net token; "
            f"{COPY_AGAIN}, just the token."
        )
    for position, char in enumerate(token, start=1):
        if not FIRST_PRINTABLE <= char <= LAST_PRINTABLE:
            advice = ADVICE.get(char, COPY_AGAIN)
            return f"{what} contains {_describe(char)} at position {position}; {advice}."
    return None


def read_token(raw: str | None, what: str = "The token") -> PastedToken:
    """Clean a pasted token; refuse it, with a sentence, when it still cannot be sent."""
    token = clean(raw or "")
    if not token:
        return PastedToken(None)
    sentence = problem(token, what)
    return PastedToken(None, sentence) if sentence else PastedToken(token)
