"""Words and times as the pages show them."""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st


def humanize_delta(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_tz() -> tzinfo | None:
    # The viewer's time zone as the browser reports it (an IANA name, e.g. "Europe/Paris");
    # the server's zone when unknown.
    try:
        return ZoneInfo(st.context.timezone or "")
    except (ValueError, ZoneInfoNotFoundError):
        return datetime.now().astimezone().tzinfo


def local_time(moment: datetime | None, pattern: str = "%d %b %Y, %H:%M") -> str:
    return moment.astimezone(local_tz()).strftime(pattern) if moment else "—"
