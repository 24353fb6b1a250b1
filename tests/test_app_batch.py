"""Several pictures per click: consecutive seeds, one batch id, one request each, shown
together as a grid; counted against the daily limits as a whole (AppTest, emulator)."""

from __future__ import annotations

import pytest
from apptest_support import AppEnv, app_env, texts  # noqa: F401
from test_app_edit import apply_edit, picture, upload

from components.batch import consecutive_seeds
from kontextlab.providers.ltx.requests import SEED_MAX


def posted(env: AppEnv, route: str = "images/flux-create") -> int:
    return sum(1 for r in env.emulator.requests if r[:2] == ("POST", route))


def test_four_per_click_sends_four_consecutive_seeds_in_one_batch(app_env: AppEnv) -> None:
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A lighthouse in fog")
    at.session_state["create_seed_mode"] = "Fixed"
    at.session_state["create_seed"] = 1000
    at.session_state["create_per_click"] = 4
    at.button(key="create_go").click().run()
    app_env.wait_idle()
    at.run()
    rows = app_env.store.list(app_env.key, kinds=["create"])
    assert len(rows) == 4
    assert sorted(r.seed for r in rows) == [1000, 1001, 1002, 1003]
    assert sorted(r.request["seed"] for r in rows) == [1000, 1001, 1002, 1003]
    batch_ids = {r.batch_id for r in rows}
    assert len(batch_ids) == 1 and None not in batch_ids
    assert posted(app_env) == 4
    assert app_env.store.count(app_env.key, batch=rows[0].batch_id) == 4
    page = texts(at)
    assert "4 pictures from one click" in page
    for seed in (1000, 1001, 1002, 1003):
        assert f"seed {seed}" in page
    assert len(at.image) >= 4  # the grid shows all four
    assert len([b for b in at.button if b.label == "Vary seed"]) >= 4  # each card's actions
    assert not at.exception


def test_a_random_seed_is_drawn_once_for_the_whole_batch(app_env: AppEnv) -> None:
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A red kite")
    at.session_state["create_per_click"] = 3
    at.button(key="create_go").click().run()
    app_env.wait_idle()
    seeds = sorted(r.seed for r in app_env.store.list(app_env.key))
    assert len(seeds) == 3
    assert seeds in (
        [seeds[0], seeds[0] + 1, seeds[0] + 2],
        consecutive_seeds(seeds[0], 3, SEED_MAX),
    )


def test_seeds_past_the_largest_wrap_to_zero() -> None:
    assert consecutive_seeds(SEED_MAX - 1, 4, SEED_MAX) == [SEED_MAX - 1, SEED_MAX, 0, 1]


def test_edit_sends_a_batch_too(app_env: AppEnv) -> None:
    at = app_env.app("pages/edit.py")
    upload(at, picture(size=(480, 640)))
    at.session_state["edit_per_click"] = 2
    apply_edit(at, "Make it night", edit_seed_mode="Fixed", edit_seed=77)
    app_env.wait_idle()
    at.run()
    edits = app_env.store.list(app_env.key, kinds=["edit"])
    assert sorted(r.seed for r in edits) == [77, 78]
    assert len({r.batch_id for r in edits}) == 1
    parent = app_env.store.get(edits[0].parent_id, app_env.key)
    assert parent is not None and parent.kind == "upload"
    assert {r.parent_id for r in edits} == {parent.id}
    assert posted(app_env, "images/flux-edit") == 2
    assert "2 pictures from one click" in texts(at)
    assert not at.exception


def test_a_batch_beyond_the_daily_allowance_sends_nothing_and_says_how_many_are_left(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KONTEXTLAB_VISITOR_DAILY_LIMIT", "3")
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A windmill")
    at.session_state["create_per_click"] = 4
    at.button(key="create_go").click().run()
    assert "Not sent: only 3 images are left for you today, and these 4 pictures need more." in [
        e.value for e in at.error
    ]
    assert app_env.store.count(app_env.key) == 0
    assert posted(app_env) == 0
    at.session_state["create_per_click"] = 3
    at.button(key="create_go").click().run()
    app_env.wait_idle()
    assert app_env.store.count(app_env.key) == 3  # every job of a batch is counted
    at.session_state["create_per_click"] = 1
    at.button(key="create_go").click().run()
    assert app_env.store.count(app_env.key) == 3
    assert posted(app_env) == 3


def test_history_shows_the_batch_and_filters_to_it(app_env: AppEnv) -> None:
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("One alone")
    at.button(key="create_go").click().run()
    app_env.wait_idle()
    at.text_area(key="create_prompt").set_value("Two together")
    at.session_state["create_per_click"] = 2
    at.button(key="create_go").click().run()
    app_env.wait_idle()
    at.run()
    batch_id = app_env.latest("create").batch_id
    at.button(key="create_batch_history").click().run()
    at.run()
    toggle = at.toggle(key="history_only_batch")
    assert toggle.label == f"Only this batch ({batch_id[:6]})" and toggle.value
    table = at.dataframe[0].value
    assert len(table) == 2 and set(table["batch"]) == {batch_id[:6]}
    toggle.set_value(False).run()
    table = at.dataframe[0].value
    assert len(table) == 3 and table["batch"].isna().sum() == 1
    assert not at.exception


def test_a_batch_rows_detail_filters_history_to_its_batch(app_env: AppEnv) -> None:
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("One alone")
    at.button(key="create_go").click().run()
    app_env.wait_idle()
    alone = app_env.latest("create")
    at.text_area(key="create_prompt").set_value("Three together")
    at.session_state["create_per_click"] = 3
    at.button(key="create_go").click().run()
    app_env.wait_idle()
    member = app_env.latest("create")
    history = app_env.app("pages/history.py")
    history.session_state["history_open"] = alone.id
    history.run()
    assert not [b for b in history.button if b.label == "Show only its batch"], "no batch"
    history.session_state["history_open"] = member.id
    history.run()
    history.button(key=f"history_batch_{member.id}").click().run()
    table = history.dataframe[0].value
    assert len(table) == 3 and set(table["batch"]) == {member.batch_id[:6]}
    assert not history.exception


def test_a_batchs_cards_keep_their_rarer_actions_under_more(app_env: AppEnv) -> None:
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("Two kites")
    at.session_state["create_per_click"] = 2
    at.button(key="create_go").click().run()
    app_env.wait_idle()
    at.run()
    rows = app_env.store.list(app_env.key, kinds=["create"])
    labels = [block.proto.popover.label for block in at.get("popover")]
    assert labels.count("More") == 2, labels
    assert "Copy settings" not in labels and "Link to this picture" not in labels
    assert not [b for b in at.button if b.label == "Re-run"], "More is drawn only when open"
    for row in rows:  # open each card's More, as a click does
        at.session_state[f"create_card_{row.id}_more"] = True
    at.run()
    for row in rows:  # each card: its buttons, and under More its settings and link
        assert at.button(key=f"create_card_{row.id}_vary").label == "Vary seed"
        assert at.button(key=f"create_card_{row.id}_rerun").label == "Re-run"
        assert f"?job={row.id}" in [c.value for c in at.code]
    at.button(key=f"create_card_{rows[0].id}_rerun").click().run()  # from inside More
    app_env.wait_idle()
    assert len(app_env.store.list(app_env.key, kinds=["create"])) == 3
    assert not at.exception
