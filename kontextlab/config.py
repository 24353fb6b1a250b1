"""Configuration: environment variables first, then top-level secrets, then defaults."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEFAULT_BASE_URL = "https://api.useapi.net/v1/ltxstudio"
KEYS = (
    "USEAPI_TOKEN",
    "USEAPI_BASE_URL",
    "USEAPI_EMAIL",
    "KONTEXTLAB_DATABASE_URL",
    "KONTEXTLAB_IMAGE_BUDGET_MB",
)
DEFAULT_IMAGE_BUDGET_MB = 200.0  # full-size copies kept per visitor; thumbnails always
MB = 1024 * 1024


def default_database_url() -> str:
    """A SQLite file in the user's data folder, outside the repository."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return _sqlite_url_in(base)


@cache
def _sqlite_url_in(base: str) -> str:
    # Settings are read on every page run; create the folder once per location.
    folder = Path(base) / "kontextlab"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'history.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    token: str | None
    base_url: str
    email: str | None
    database_url: str
    image_budget_bytes: int = int(DEFAULT_IMAGE_BUDGET_MB * MB)

    @property
    def demo(self) -> bool:
        return not self.token


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _megabytes(value: str | None, default: float) -> int:
    """Bytes from a size in MB; a value that is not a number of MB from 0 up is ignored."""
    try:
        number = float(value) if value is not None else default
    except ValueError:
        number = default
    return int((number if 0 <= number < float("inf") else default) * MB)


def load_settings(
    secrets: Mapping[str, object] | Callable[[], Mapping[str, object]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings. `secrets` may be a mapping or a callable returning one;
    any exception while reading it (no secrets file, bad TOML) counts as "no secrets"."""
    env = os.environ if environ is None else environ
    try:
        found = secrets() if callable(secrets) else secrets
        store = {k: found[k] for k in KEYS if found is not None and k in found}
    except Exception:
        store = {}

    def pick(key: str) -> str | None:
        return _clean(env.get(key)) or _clean(store.get(key))

    return Settings(
        token=pick("USEAPI_TOKEN"),
        base_url=(pick("USEAPI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
        email=pick("USEAPI_EMAIL"),
        database_url=pick("KONTEXTLAB_DATABASE_URL") or default_database_url(),
        image_budget_bytes=_megabytes(pick("KONTEXTLAB_IMAGE_BUDGET_MB"), DEFAULT_IMAGE_BUDGET_MB),
    )
