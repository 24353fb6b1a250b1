"""Addresses the page may show: a base URL without the credentials someone wrote into it,
and whether the token would travel to it unencrypted.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit, urlunsplit


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


def sends_token_unencrypted(base_url: str) -> bool:
    """True when the API address is plain http:// to another machine."""
    parts = _split(base_url)
    if parts is None or parts.scheme.lower() != "http":
        return False
    return not is_loopback(parts.hostname or "")
