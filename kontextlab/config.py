"""Configuration: environment variables first, then top-level secrets, then defaults."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DEFAULT_BASE_URL = "https://api.useapi.net/v1/ltxstudio"
DEFAULT_BFL_BASE_URL = "https://api.bfl.ai"  # the regional bases (api.eu.bfl.ai, ...) work too
KEYS = (
    "USEAPI_TOKEN",
    "USEAPI_BASE_URL",
    "USEAPI_EMAIL",
    "BFL_API_KEY",
    "BFL_BASE_URL",
    "KONTEXTLAB_DATABASE_URL",
    "KONTEXTLAB_ACCOUNT_SECRET",
    "KONTEXTLAB_VISITOR_DAILY_LIMIT",
    "KONTEXTLAB_DAILY_LIMIT",
    "KONTEXTLAB_DEMO_DAILY_LIMIT",
    "KONTEXTLAB_SHARED_HISTORY",
    "KONTEXTLAB_IMAGE_BUDGET_MB",
)
VISITOR_DAILY_LIMIT = 20
DAILY_LIMIT = 200
DEMO_DAILY_LIMIT = 50
SECRET_NEEDED = (
    "This app keeps its history in a shared database, so it needs its own "
    "KONTEXTLAB_ACCOUNT_SECRET: set it in the app's secrets (any long random text) and restart. "
    "Until then nothing is saved or shown."
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
    account_secret: str | None = None
    visitor_daily_limit: int = VISITOR_DAILY_LIMIT
    daily_limit: int = DAILY_LIMIT
    demo_daily_limit: int = DEMO_DAILY_LIMIT
    shared_history: bool = False
    image_budget_bytes: int = int(DEFAULT_IMAGE_BUDGET_MB * MB)
    # Black Forest Labs' API key: a secret under every rule the useapi.net token follows.
    bfl_key: str | None = field(default=None, repr=False)
    bfl_base_url: str = DEFAULT_BFL_BASE_URL

    @property
    def demo(self) -> bool:
        """No key of any image service is configured: the app starts in the demo."""
        return not self.token and not self.bfl_key

    @property
    def local_database(self) -> bool:
        """A SQLite file (or memory) on this machine: only its own processes read it."""
        return self.database_url.lower().startswith("sqlite")

    @property
    def problem(self) -> str | None:
        """A sentence when the deployment is set up unsafely (the app then refuses to start
        its history): a shared database scoped with the public built-in secret would let
        anyone who can read it recompute which rows belong to which token."""
        if not self.local_database and not self.account_secret:
            return SECRET_NEEDED
        return None


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _limit(value: str | None, default: int) -> int:
    """A daily limit: a whole number ≥ 0 (0 = no limit); anything else keeps the default."""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() else default


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


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
        account_secret=pick("KONTEXTLAB_ACCOUNT_SECRET"),
        visitor_daily_limit=_limit(pick("KONTEXTLAB_VISITOR_DAILY_LIMIT"), VISITOR_DAILY_LIMIT),
        daily_limit=_limit(pick("KONTEXTLAB_DAILY_LIMIT"), DAILY_LIMIT),
        demo_daily_limit=_limit(pick("KONTEXTLAB_DEMO_DAILY_LIMIT"), DEMO_DAILY_LIMIT),
        shared_history=_flag(pick("KONTEXTLAB_SHARED_HISTORY")),
        image_budget_bytes=_megabytes(pick("KONTEXTLAB_IMAGE_BUDGET_MB"), DEFAULT_IMAGE_BUDGET_MB),
        bfl_key=pick("BFL_API_KEY"),
        bfl_base_url=(pick("BFL_BASE_URL") or DEFAULT_BFL_BASE_URL).rstrip("/"),
    )
