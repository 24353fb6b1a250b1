"""Configuration: environment beats secrets beats defaults; a missing secrets file is fine."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from kontextlab import config

REPO = Path(__file__).resolve().parent.parent
ENV_KEYS = (*config.KEYS, "XDG_DATA_HOME")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting leaks in from the machine; the data folder is a temporary one."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data


class NoSecretsFile(Mapping[str, object]):
    """Behaves like st.secrets without a secrets.toml: every read raises."""

    def _fail(self) -> None:
        raise FileNotFoundError("No secrets files found.")

    def __getitem__(self, key: str) -> object:
        self._fail()
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        self._fail()
        return iter(())

    def __len__(self) -> int:
        self._fail()
        return 0

    def __contains__(self, key: object) -> bool:
        self._fail()
        return False


SECRETS = {
    "USEAPI_TOKEN": "from-secrets",
    "USEAPI_BASE_URL": "http://127.0.0.1:8799/v1/ltxstudio/",
    "USEAPI_EMAIL": "secret@example.com",
    "KONTEXTLAB_DATABASE_URL": "sqlite:///secrets.db",
}


def test_defaults_without_env_or_secrets(clean_env: Path) -> None:
    settings = config.load_settings(secrets=None, environ={})
    assert settings.token is None and settings.demo
    assert settings.base_url == "https://api.useapi.net/v1/ltxstudio"
    assert settings.email is None
    assert settings.database_url == f"sqlite:///{clean_env / 'kontextlab' / 'history.sqlite3'}"


def test_secrets_beat_defaults() -> None:
    settings = config.load_settings(secrets=SECRETS, environ={})
    assert settings.token == "from-secrets" and not settings.demo
    assert settings.base_url == "http://127.0.0.1:8799/v1/ltxstudio"  # trailing slash dropped
    assert settings.email == "secret@example.com"
    assert settings.database_url == "sqlite:///secrets.db"


def test_environment_beats_secrets() -> None:
    environ = {
        "USEAPI_TOKEN": "from-env",
        "USEAPI_BASE_URL": "http://localhost:9000/v1/ltxstudio",
        "USEAPI_EMAIL": "env@example.com",
        "KONTEXTLAB_DATABASE_URL": "postgresql+psycopg://db/kontext",
    }
    settings = config.load_settings(secrets=SECRETS, environ=environ)
    assert settings.token == "from-env"
    assert settings.base_url == "http://localhost:9000/v1/ltxstudio"
    assert settings.email == "env@example.com"
    assert settings.database_url == "postgresql+psycopg://db/kontext"


def test_each_key_falls_back_on_its_own() -> None:
    settings = config.load_settings(secrets={"USEAPI_EMAIL": "s@example.com"}, environ={})
    assert settings.email == "s@example.com"
    assert settings.token is None
    settings = config.load_settings(
        secrets={"USEAPI_TOKEN": "s"}, environ={"USEAPI_EMAIL": "e@example.com"}
    )
    assert (settings.token, settings.email) == ("s", "e@example.com")


def test_the_process_environment_is_read_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USEAPI_TOKEN", "  padded-token  ")
    assert config.load_settings(secrets=SECRETS).token == "padded-token"


def test_blank_values_count_as_unset() -> None:
    settings = config.load_settings(
        secrets={"USEAPI_TOKEN": "from-secrets", "USEAPI_EMAIL": "  "},
        environ={"USEAPI_TOKEN": "", "USEAPI_BASE_URL": "   "},
    )
    assert settings.token == "from-secrets"
    assert settings.email is None
    assert settings.base_url == config.DEFAULT_BASE_URL


def test_secrets_callable_is_read() -> None:
    assert config.load_settings(secrets=lambda: SECRETS, environ={}).token == "from-secrets"


@pytest.mark.parametrize(
    "secrets",
    [
        NoSecretsFile(),
        lambda: NoSecretsFile(),
        lambda: (_ for _ in ()).throw(FileNotFoundError("No secrets files found.")),
        lambda: (_ for _ in ()).throw(ValueError("bad TOML")),
    ],
    ids=["mapping-that-raises", "callable-returning-it", "callable-raising", "bad-toml"],
)
def test_secrets_that_cannot_be_read_count_as_empty(secrets: object) -> None:
    settings = config.load_settings(secrets=secrets, environ={"USEAPI_EMAIL": "e@example.com"})  # type: ignore[arg-type]
    assert settings.token is None and settings.demo
    assert settings.email == "e@example.com"
    assert settings.base_url == config.DEFAULT_BASE_URL


def test_unrelated_secret_keys_are_ignored() -> None:
    settings = config.load_settings(secrets={"OTHER": "x", "useapi_token": "lower"}, environ={})
    assert settings.token is None


def test_default_database_is_a_sqlite_file_outside_the_repository(clean_env: Path) -> None:
    url = config.load_settings(secrets=None, environ={}).database_url
    assert url.startswith("sqlite:///")
    path = Path(url.removeprefix("sqlite:///"))
    assert path.is_absolute()
    assert path.parent.is_dir()  # created, so SQLite can open the file
    assert clean_env in path.parents
    assert REPO not in path.resolve().parents


def test_default_database_without_xdg_goes_to_the_home_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    path = Path(config.default_database_url().removeprefix("sqlite:///"))
    assert path == tmp_path / ".local" / "share" / "kontextlab" / "history.sqlite3"
    assert REPO not in path.parents
