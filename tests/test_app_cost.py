"""What a click costs, next to Generate: the total for a batch and for every look, what the
balance still buys, and Generate disabled with a sentence when the balance is short. Only
for whoever pays: never a deployer's balance to its visitors (AppTest, emulator)."""

from __future__ import annotations

import pytest
from apptest_support import AppEnv, app_env, texts  # noqa: F401

from kontextlab.emulator import DEMO_EMAIL

PER_PICTURE = 28  # the emulator's (and LTX's) credits for one FLUX picture


@pytest.fixture
def team(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> AppEnv:
    """A team shares the deployer's token on purpose and sees its balance."""
    monkeypatch.setenv("KONTEXTLAB_SHARED_HISTORY", "true")
    return AppEnv(app_env.emulator, app_env.base_url, app_env.db_url, app_env.token, typed=True)


def test_the_line_totals_a_batch_and_says_what_the_balance_buys(team: AppEnv) -> None:
    at = team.app()
    page = texts(at)
    assert f"One picture: {PER_PICTURE} credits with" in page
    assert f"{100_000 // PER_PICTURE:,} images left on the balance." in page
    at.session_state["create_per_click"] = 4
    at.run()
    assert f"4 pictures: {4 * PER_PICTURE} credits with" in texts(at)
    assert not at.button(key="create_go").disabled


def test_the_look_grid_says_its_total_before_anything_is_sent(team: AppEnv) -> None:
    at = team.app()
    at.text_area(key="create_prompt").set_value("A harbour")
    at.button(key="create_looks").click().run()
    assert f"17 pictures: {17 * PER_PICTURE:,} credits with" in texts(at)
    assert team.store.count(team.key) == 0


def test_generate_is_disabled_with_a_sentence_when_the_balance_is_short(team: AppEnv) -> None:
    team.emulator.set_credits(DEMO_EMAIL, 2 * PER_PICTURE - 1)
    at = team.app()
    assert "1 image left on the balance." in texts(at)
    assert not at.button(key="create_go").disabled  # one picture: still enough
    at.session_state["create_per_click"] = 2
    at.run()
    assert at.button(key="create_go").disabled
    warnings = [str(w.value) for w in at.warning]
    assert (
        f"Not enough credits: this click costs {2 * PER_PICTURE} credits and the balance is "
        f"{2 * PER_PICTURE - 1} credits. Top up the account, choose fewer pictures or a "
        "cheaper model." in warnings
    )
    at.button(key="create_looks").click().run()
    assert at.button(key="create_looks_send").disabled  # 17 pictures: far too many
    assert team.store.count(team.key) == 0
    assert not [r for r in team.emulator.requests if r[0] == "POST"]


def test_a_deployers_balance_stays_unsaid(app_env: AppEnv) -> None:
    app_env.emulator.set_credits(DEMO_EMAIL, 10)
    at = app_env.app()
    at.session_state["create_per_click"] = 4
    at.run()
    page = texts(at)
    assert "credits" not in page and "left on the balance" not in page
    assert not at.button(key="create_go").disabled  # a visitor cannot know: the job says
