"""Addresses the page may show or hand to a visitor's browser.

A hosted app's visitors are elsewhere: a link to the server's own loopback or private network
(the demo emulator's `http://127.0.0.1:PORT/_files/…`) cannot load in their browser, and
showing a base URL must not show the credentials someone wrote into it.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

WEB_SCHEMES = frozenset({"http", "https"})
# Browsers read a host whose last label is a number as an IPv4 address, in any of the old
# spellings ("127.1", "2130706433", "0x7f.1"), which `ipaddress` does not parse.
NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def _split(url: str | None) -> SplitResult | None:
    try:
        return urlsplit((url or "").strip())
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 bracket)
        return None


def display_url(url: str) -> str:
    """The URL without `user:password@`, query or fragment: safe to show on a page."""
    parts = _split(url)
    if parts is None or not parts.netloc:
        return "(an address that cannot be read)"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
    return mapped or ip


def is_loopback(host: str) -> bool:
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    ip = _ip(name)
    return bool(ip and ip.is_loopback)


def is_private_host(host: str) -> bool:
    """True for hosts a stranger's browser cannot reach: loopback, private and link-local
    networks, single-label and local names, and numeric spellings that are not a public IP."""
    name = host.strip("[]").rstrip(".").lower()
    if not name or ("." not in name and ":" not in name) or name.endswith(LOCAL_SUFFIXES):
        return True
    ip = _ip(name)
    if ip is not None:
        return not ip.is_global
    return bool(NUMERIC_LABEL.match(name.rsplit(".", 1)[-1]))


def browser_link(url: str | None) -> str | None:
    """`url` when a visitor's browser can open it (http or https, a public host, no
    credentials); otherwise None, and the page shows the stored copy or a sentence."""
    parts = _split(url)
    if parts is None or parts.scheme.lower() not in WEB_SCHEMES or "@" in parts.netloc:
        return None
    try:
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return None
    return None if is_private_host(host) else url


def sends_token_unencrypted(base_url: str) -> bool:
    """True when the API address is plain http:// to another machine."""
    parts = _split(base_url)
    if parts is None or parts.scheme.lower() != "http":
        return False
    return not is_loopback(parts.hostname or "")
