"""Tokens as people paste them: cleaned, or refused with a sentence; the client never crashes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import responses
from hypothesis import given, settings, strategies as st

from kontextlab import providers as api
from kontextlab.emulator import Emulator, EmulatorConfig
from kontextlab.providers import ltx
from kontextlab.tokens import MAX_LENGTH, clean, read_token

BASE = "https://api.useapi.net/v1/ltxstudio"
TOKEN = "user:1234-r8SECRETtoken5678"
ANY_PATH = re.compile(re.escape(BASE) + r"/.*")

INVISIBLE = {
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte-order mark": "\ufeff",
    "non-breaking space": "\u00a0",
    "narrow non-breaking space": "\u202f",
    "soft hyphen": "\u00ad",
    "newline": "\n",
    "carriage return": "\r",
    "tab": "\t",
    "space": " ",
}


# ---------------------------------------------------------------- cleaning


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_invisible_characters_are_removed_wherever_they_are(char: str, where: str) -> None:
    pasted = {
        "start": char + TOKEN,
        "middle": TOKEN[:9] + char + TOKEN[9:],
        "end": TOKEN + char,
    }[where]
    assert read_token(pasted) == read_token(TOKEN)
    assert read_token(pasted).token == TOKEN and read_token(pasted).problem is None


def test_a_token_pasted_from_a_web_page_keeps_working() -> None:
    pasted = "\ufeff  " + TOKEN[:5] + "\u200b\u2060" + TOKEN[5:] + "\u00a0\r\n\t"
    assert read_token(pasted).token == TOKEN


@pytest.mark.parametrize("raw", [None, "", "   ", "\u200b\u00a0\n", "\ufeff"])
def test_nothing_but_invisible_characters_is_no_token_and_no_complaint(raw: str | None) -> None:
    assert read_token(raw).token is None and read_token(raw).problem is None


# ---------------------------------------------------------------- refusing, with a sentence


@pytest.mark.parametrize(
    ("char", "named", "advice"),
    [
        ("“", "“ (a curly quote)", "or type plain quotes"),
        ("”", "” (a curly quote)", "or type plain quotes"),
        ("‘", "‘ (a curly apostrophe)", "or type plain quotes"),
        ("’", "’ (a curly apostrophe)", "or type plain quotes"),
        ("…", "… (an ellipsis)", "it looks shortened"),
        ("–", "– (an en dash)", "or type a plain hyphen (-)"),
        ("—", "— (an em dash)", "or type a plain hyphen (-)"),
        ("é", "é (latin small letter e with acute)", "copy it again from useapi.net"),
        ("\x07", "an invisible control character (U+0007)", "copy it again from useapi.net"),
        ("\x7f", "an invisible control character (U+007F)", "copy it again from useapi.net"),
    ],
)
def test_any_other_character_is_named_with_its_position(char: str, named: str, advice: str) -> None:
    pasted = read_token(" " + TOKEN[:4] + char + TOKEN[4:])
    assert pasted.token is None
    assert pasted.problem is not None
    assert pasted.problem.startswith(f"The token contains {named} at position 5; ")
    assert advice in pasted.problem and pasted.problem.endswith(".")


def test_the_briefs_example_sentence() -> None:
    assert read_token("user“12").problem == (
        "The token contains “ (a curly quote) at position 5; copy it again from useapi.net, "
        "or type plain quotes."
    )


def test_the_position_counts_in_the_cleaned_token() -> None:
    assert "at position 3;" in (read_token("\u200b\u200bab“c").problem or "")


def test_a_pasted_paragraph_is_refused_by_its_length() -> None:
    pasted = read_token("a" * (MAX_LENGTH + 1))
    assert pasted.token is None and "501 characters long" in (pasted.problem or "")
    assert read_token("a" * MAX_LENGTH).token == "a" * MAX_LENGTH


def test_the_sentence_can_name_where_the_token_came_from() -> None:
    problem = read_token("a“b", "The token in the app's settings").problem or ""
    assert problem.startswith("The token in the app's settings contains “")


@given(st.text())
def test_any_text_gives_a_sendable_token_or_a_sentence_without_it(raw: str) -> None:
    pasted = read_token(raw)
    if pasted.token is not None:
        assert pasted.problem is None
        assert pasted.token.isascii() and pasted.token.isprintable() and " " not in pasted.token
        pasted.token.encode("latin-1")  # what requests does with a header value
    elif pasted.problem is not None:
        assert pasted.problem.endswith(".")
        visible = clean(raw)
        if len(visible) > 3:
            assert visible not in pasted.problem, "the sentence never repeats the token"


# ---------------------------------------------------------------- the client never crashes


@pytest.mark.parametrize("token", ["user“12", "tok\u2026", "ab\x07cd", "émoji😀"])
def test_the_client_refuses_a_token_it_cannot_send_with_a_plain_error(token: str) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, ANY_PATH, json={"error": "Unauthorized", "code": 401}, status=401)
        client = ltx.Client(BASE, token)
        with pytest.raises(api.Unauthorized) as caught:
            client.job("job-1")
        assert not mock.calls, "nothing is sent with a token that cannot be sent"
    assert isinstance(caught.value, api.BadToken)
    assert caught.value.user_message.startswith("The token contains ")
    assert token not in caught.value.user_message and token not in str(caught.value)


def test_the_client_sends_a_pasted_token_cleaned() -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, ANY_PATH, json={"status": {"type": "active"}, "jobId": "j"})
        ltx.Client(BASE, "\ufeff" + TOKEN + "\u200b\n").job("j")
        sent = mock.calls[0].request.headers["Authorization"]
    assert sent == f"Bearer {TOKEN}"


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    emulator = Emulator(EmulatorConfig(job_seconds=0.1, poll_tick=0.05))
    yield emulator.start()
    emulator.stop()


@settings(max_examples=60, deadline=None)
@given(token=st.text(max_size=40))
def test_no_token_makes_the_client_raise_anything_but_an_api_error(
    emulator_url: str, token: str
) -> None:
    """Over real HTTP: `responses` never reaches http.client, where the crash happened."""
    client = ltx.Client(emulator_url, token, max_retries=0)
    with pytest.raises(api.ProviderError):
        client.job("job-1")
