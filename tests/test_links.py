"""Addresses: which links a visitor's browser may get, and how a base URL is shown."""

from __future__ import annotations

import pytest
from seam_support import prepared

from components.connection import Connection
from components.form import curl_command, request_url
from kontextlab.links import browser_link, display_url, is_private_host, sends_token_unencrypted
from kontextlab.providers.ltx import LtxProvider
from kontextlab.providers.ltx.requests import CreateRequest

TOKEN = "user:1234-r8SECRETtoken5678"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8799/_files/abc?exp=1&sig=2",  # the demo emulator
        "http://localhost:8799/_files/abc",
        "http://app.localhost/x.png",
        "http://[::1]:8799/x.png",
        "http://[::ffff:127.0.0.1]/x.png",
        "http://10.1.2.3/x.png",
        "http://172.16.0.9/x.png",
        "http://192.168.1.20/x.png",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/x.png",
        "http://0.0.0.0:8799/x.png",
        "http://[fd00::1]/x.png",
        "http://127.1/x.png",
        "http://2130706433/x.png",
        "http://0x7f.1/x.png",
        "http://emulator:8799/x.png",
        "http://printer.local/x.png",
        "http://metadata.google.internal/x",
        "https://user:pw@storage.example.com/x.png",
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "file://server/share/out.png",
        "ftp://storage.example.com/x.png",
        "https://storage.example.com:notaport/x.png",
        "http://[::1",
        "",
        None,
    ],
)
def test_a_link_a_stranger_cannot_open_is_never_handed_out(url: str | None) -> None:
    assert browser_link(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://storage.googleapis.com/ltx/out.png?X-Goog-Signature=abc",
        "https://cdn.test/1.png",
        "http://8.8.8.8/x.png",
        "https://[2001:4860:4860::8888]/x.png",
        "https://1.2.3.example.com/x.png",
    ],
)
def test_a_public_link_is_handed_out_unchanged(url: str) -> None:
    assert browser_link(url) == url


def test_private_hosts() -> None:
    assert is_private_host("127.0.0.1") and is_private_host("LOCALHOST.")
    assert not is_private_host("api.useapi.net")


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
    return Connection(LtxProvider(base_url, TOKEN), "key", False, base_url)


def test_show_request_never_shows_credentials_or_the_token() -> None:
    conn = connection("https://deployer:hunter2@api.useapi.net/v1/ltxstudio")
    request = prepared(CreateRequest(prompt="A fox", seed=7))
    command = curl_command(conn, request)
    assert "https://api.useapi.net/v1/ltxstudio/images/flux-create" in command
    assert request_url(conn, request) == "https://api.useapi.net/v1/ltxstudio/images/flux-create"
    for secret in ("deployer", "hunter2", TOKEN, "@api"):
        assert secret not in command
    assert "Bearer <your token>" in command
