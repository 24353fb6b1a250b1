"""Recent prompts on Create and Edit, shot type and angle on Create, and Edit's second and
third reference pictures, driven by AppTest against the in-process emulator."""

from __future__ import annotations

from apptest_support import AppEnv, app_env, texts  # noqa: F401
from test_app_edit import EDIT, apply_edit, create_result

from kontextlab.history import HistoryStore
from kontextlab.vocabulary import JobState


def add_rows(store: HistoryStore, key: str, prompts: list[str], kind: str = "create") -> None:
    """Finished rows (nothing left for the app to follow)."""
    for prompt in prompts:
        rid = store.add_job(
            account_key=key, kind=kind, request={"prompt": prompt}, summary={"prompt": prompt}
        )
        store.update_job(rid, status=JobState.FAILED, message="made up for the test")


def test_the_store_gives_the_last_distinct_prompts_newest_first(app_env: AppEnv) -> None:
    store = app_env.store
    add_rows(store, app_env.key, ["a cat", "a dog", "a cat", "  ", "a boat"])
    add_rows(store, app_env.key, ["an edit"], kind="edit")
    add_rows(store, "someone-else", ["their secret prompt"])
    assert store.recent_prompts(app_env.key, ["create"]) == ["a boat", "a cat", "a dog"]
    assert store.recent_prompts(app_env.key, ["create"], limit=2) == ["a boat", "a cat"]
    assert store.recent_prompts(app_env.key, ["edit"]) == ["an edit"]
    assert store.recent_prompts(app_env.key, ["create", "edit"])[0] == "an edit"
    assert store.recent_prompts("nobody", ["create"]) == []


def test_the_store_keeps_twenty_of_many(app_env: AppEnv) -> None:
    add_rows(app_env.store, app_env.key, [f"prompt {i}" for i in range(30)])
    recent = app_env.store.recent_prompts(app_env.key, ["create"], limit=20)
    assert recent == [f"prompt {i}" for i in range(29, 9, -1)]


def test_picking_a_recent_prompt_fills_the_box(app_env: AppEnv) -> None:
    at = app_env.app()
    assert not [s for s in at.selectbox if s.key == "create_recent_prompt"], "none before any"
    add_rows(app_env.store, app_env.key, ["A red lighthouse at dusk", "A blue boat"])
    add_rows(app_env.store, "another-visitor", ["Not yours"])
    at.run()
    picker = at.selectbox(key="create_recent_prompt")
    assert picker.options == ["A blue boat", "A red lighthouse at dusk"]
    picker.set_value("A red lighthouse at dusk").run()
    assert at.text_area(key="create_prompt").value == "A red lighthouse at dusk"
    assert at.selectbox(key="create_recent_prompt").value is None, "ready for the next pick"
    assert not at.exception


def test_edit_offers_its_own_recent_instructions(app_env: AppEnv) -> None:
    add_rows(app_env.store, app_env.key, ["Make it night"], kind="edit")
    add_rows(app_env.store, app_env.key, ["A castle"], kind="create")
    at = app_env.app(EDIT)
    assert at.selectbox(key="edit_recent_prompt").options == ["Make it night"]


def test_create_sends_shot_type_and_angle(app_env: AppEnv) -> None:
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A lighthouse")
    at.selectbox(key="create_shot_type").set_value("close-up")
    at.selectbox(key="create_shot_angle").set_value("low-angle")
    at.button(key="create_go").click()
    at.run()
    app_env.wait_idle()
    row = app_env.latest("create")
    assert row.status == "completed", row.message
    assert row.request["shotType"] == "close-up" and row.request["shotAngle"] == "low-angle"


def test_edit_sends_second_and_third_references(app_env: AppEnv) -> None:
    first, second, third = (create_result(app_env, f"Picture {n}") for n in range(3))
    at = app_env.app(EDIT)
    assert "More reference pictures (optional)" in [e.label for e in at.expander]
    at.session_state["edit_ref_mode"] = "One of my results"
    at.session_state["edit_ref_row"] = first
    at.session_state["edit_ref2_ref_mode"] = "One of my results"
    at.session_state["edit_ref2_ref_row"] = second
    at.session_state["edit_ref3_ref_mode"] = "One of my results"
    at.session_state["edit_ref3_ref_row"] = third
    at.run()
    apply_edit(at, "Put the boat from the second picture in the first", edit_model="flux-premium")
    app_env.wait_idle()
    edit = app_env.latest("edit")
    assert edit.status == "completed", edit.message
    ids = [app_env.store.get(r, app_env.key).file_id for r in (first, second, third)]
    sent = [
        edit.request.get(k) for k in ("referenceAssetId", "referenceAssetId2", "referenceAssetId3")
    ]
    assert sent == ids
    assert edit.parent_id == first


def test_a_third_reference_with_the_default_model_says_why_and_sends_nothing(
    app_env: AppEnv,
) -> None:
    first, third = create_result(app_env, "One"), create_result(app_env, "Three")
    at = app_env.app(EDIT)
    at.session_state["edit_ref_mode"] = "One of my results"
    at.session_state["edit_ref_row"] = first
    at.session_state["edit_ref3_ref_mode"] = "One of my results"
    at.session_state["edit_ref3_ref_row"] = third
    at.run()
    before = len(app_env.store.list(app_env.key, kinds=["edit"]))
    apply_edit(at, "Mix them")
    assert len(app_env.store.list(app_env.key, kinds=["edit"])) == before
    assert "third reference image needs a model other than flux" in texts(at).lower()
    assert not at.exception


def test_a_second_reference_is_kept_across_a_visit_to_another_page(app_env: AppEnv) -> None:
    first, second = create_result(app_env, "One"), create_result(app_env, "Two")
    at = app_env.app(EDIT)
    at.session_state["edit_ref_mode"] = "One of my results"
    at.session_state["edit_ref_row"] = first
    at.session_state["edit_ref2_ref_mode"] = "One of my results"
    at.session_state["edit_ref2_ref_row"] = second
    at.run()
    at.switch_page("pages/create.py").run()
    at.switch_page("pages/edit.py").run()
    assert at.session_state["edit_ref2_ref_row"] == second
    assert at.selectbox(key="edit_ref2_ref_row").value == second
    assert not at.exception
