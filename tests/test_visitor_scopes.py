"""Visitor scopes and daily counts, without Streamlit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kontextlab.config import SECRET_NEEDED, load_settings
from kontextlab.history import HistoryStore
from kontextlab.visitors import LimitReached, Limits, Mode, Usage, scope_for, valid_visitor_id

SECRET = b"test-secret"


def test_shared_tokens_scope_history_per_visitor_and_typed_tokens_do_not() -> None:
    a, b = (
        scope_for("token", Mode.DEMO, v, SECRET)
        for v in ("visitor-aaaaaaaaaaaa", "visitor-bbbbbbbbbbbb")
    )
    assert a.key != b.key and a.billing == b.billing == "token"
    assert "visitor-aaaa" not in a.key + a.visitor, "the id itself is never stored"
    assert scope_for("token", Mode.TEAM, "visitor-aaaaaaaaaaaa", SECRET).key == "token"
    assert scope_for("token", Mode.TYPED, None, SECRET).key == "token"
    with pytest.raises(ValueError):
        scope_for("token", Mode.DEPLOYER, None, SECRET)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("abcdefghijklmnop", True),
        ("short", False),
        ("x" * 65, False),
        ("bad id with spaces!!", False),
        (None, False),
        ("a" * 16 + "\u200b", False),
    ],
)
def test_only_plain_random_ids_are_visitor_ids(value: object, ok: bool) -> None:
    assert valid_visitor_id(value) is ok


@pytest.fixture
def clock() -> list[datetime]:
    return [datetime(2026, 11, 25, 23, 0, tzinfo=UTC)]


@pytest.fixture
def usage(tmp_path: Path, clock: list[datetime]) -> Usage:
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    return Usage(store.engine, clock=lambda: clock[0])


def test_limits_count_per_visitor_and_for_everyone_and_reset_at_midnight(
    usage: Usage, clock: list[datetime]
) -> None:
    limits = Limits(per_visitor=2, total=3)
    a = scope_for("token", Mode.DEPLOYER, "visitor-aaaaaaaaaaaa", SECRET)
    b = scope_for("token", Mode.DEPLOYER, "visitor-bbbbbbbbbbbb", SECRET)
    usage.reserve(a, limits)
    usage.reserve(a, limits)
    with pytest.raises(LimitReached, match="used all 2"):
        usage.reserve(a, limits)
    usage.reserve(b, limits)
    with pytest.raises(LimitReached, match="used its images for today"):
        usage.reserve(b, limits)
    assert usage.allowance(b, limits).sentence() == (
        "0 images left today on this app (shared by all its visitors)."
    )
    clock[0] += timedelta(hours=1, minutes=1)  # past midnight UTC
    assert usage.allowance(a, limits).sentence() == "2 of 2 images left today."


def test_a_released_reservation_gives_the_image_back(usage: Usage) -> None:
    limits = Limits(per_visitor=1, total=0)
    scope = scope_for("token", Mode.DEMO, "visitor-aaaaaaaaaaaa", SECRET)
    usage.release(usage.reserve(scope, limits))
    assert usage.allowance(scope, limits).left == 1


def test_a_batch_that_does_not_fit_is_refused_whole(usage: Usage) -> None:
    scope = scope_for("token", Mode.DEMO, "visitor-aaaaaaaaaaaa", SECRET)
    with pytest.raises(LimitReached, match="only 3 images are left"):
        usage.reserve(scope, Limits(per_visitor=3, total=0), images=4)
    assert usage.allowance(scope, Limits(per_visitor=3, total=0)).left == 3


def test_a_typed_token_is_never_counted(usage: Usage) -> None:
    scope = scope_for("token", Mode.TYPED, None, SECRET)
    assert (
        usage.reserve(scope, Limits(1, 1)) is None and usage.allowance(scope, Limits(1, 1)) is None
    )


def test_sharing_settings_are_read_and_checked() -> None:
    settings = load_settings(
        {
            "KONTEXTLAB_VISITOR_DAILY_LIMIT": 5,
            "KONTEXTLAB_DAILY_LIMIT": "0",
            "KONTEXTLAB_DEMO_DAILY_LIMIT": "lots",
            "KONTEXTLAB_SHARED_HISTORY": "true",
            "KONTEXTLAB_DATABASE_URL": "postgresql+psycopg://u@db/k",
        },
        environ={},
    )
    assert (settings.visitor_daily_limit, settings.daily_limit) == (5, 0)
    assert settings.demo_daily_limit == 50, "a value that is not a number keeps the default"
    assert settings.shared_history and settings.problem == SECRET_NEEDED
    local = load_settings({"KONTEXTLAB_DATABASE_URL": "sqlite:///x.db"}, environ={})
    assert local.problem is None and not local.shared_history
