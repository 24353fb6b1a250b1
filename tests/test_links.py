"""Addresses: how a base URL is shown, and when the token would travel unencrypted."""

from __future__ import annotations

import pytest

from components.connection import Connection
from components.form import curl_command, request_url
from kontextlab import api
from kontextlab.links import display_url, sends_token_unencrypted
from kontextlab.payloads import CreateRequest

TOKEN = "user:1234-r8SECRETtoken5678"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@api.useapi.net/v1/ltxstudio", "https://api.useapi.net/v1/ltxstudio"),
        (f"https://{TOKEN}@api.useapi.net/v1/x", "https://api.useapi.net/v1/x"),
        ("https://api.useapi.net/v1/x?token=abc#frag", "https://api.useapi.net/v1/x"),
        ("http://127.0.0.1:8799/v1/ltxstudio", "http://127.0.0.1:8799/v1/ltxstudio"),
        ("http://[::1", "(an address that cannot be read)"),
    ],
)
def test_a_base_url_is_shown_without_credentials(url: str, shown: str) -> None:
    assert display_url(url) == shown


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://api.example.com/v1/ltxstudio", True),
        ("http://192.168.1.5:8799/v1/ltxstudio", True),
        ("HTTP://api.example.com/v1", True),
        ("https://api.useapi.net/v1/ltxstudio", False),
        ("http://127.0.0.1:8799/v1/ltxstudio", False),
        ("http://localhost:8799/v1/ltxstudio", False),
        ("http://[::1]:8799/v1/ltxstudio", False),
    ],
)
def test_plain_http_to_another_machine_is_flagged(url: str, warned: bool) -> None:
    assert sends_token_unencrypted(url) is warned


def connection(base_url: str) -> Connection:
    return Connection(api.Client(base_url, TOKEN), "key", False, base_url)


def test_show_request_never_shows_credentials_or_the_token() -> None:
    conn = connection("https://deployer:hunter2@api.useapi.net/v1/ltxstudio")
    request = CreateRequest(prompt="A fox", seed=7)
    command = curl_command(conn, request)
    assert "https://api.useapi.net/v1/ltxstudio/images/flux-create" in command
    assert request_url(conn, request) == "https://api.useapi.net/v1/ltxstudio/images/flux-create"
    for secret in ("deployer", "hunter2", TOKEN, "@api"):
        assert secret not in command
    assert "Bearer <your token>" in command
