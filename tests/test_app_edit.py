"""The Edit page, driven by AppTest against the in-process emulator over real HTTP."""

from __future__ import annotations

import io

import pytest
from apptest_support import AppEnv, app_env, texts  # noqa: F401
from PIL import Image

EDIT = "pages/edit.py"


def picture(mode: str = "RGB", size: tuple[int, int] = (640, 480), fmt: str = "PNG") -> bytes:
    colour = {"RGB": (200, 80, 40), "RGBA": (200, 80, 40, 120), "CMYK": (0, 60, 90, 10),
              "I;16": 30000, "L": 128}[mode]  # fmt: skip
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt)
    return out.getvalue()


def upload(at, data: bytes, name: str = "photo.png", mime: str = "image/png") -> None:
    at.file_uploader(key="edit_ref_file").set_value((name, data, mime))
    at.run()


def apply_edit(at, prompt: str, **state: object) -> None:
    at.text_area(key="edit_prompt").set_value(prompt)
    for key, value in state.items():
        at.session_state[key] = value
    at.button(key="edit_go").click()
    at.run()


def create_result(env: AppEnv, prompt: str = "A quiet harbour at dawn") -> str:
    at = env.app()
    at.text_area(key="create_prompt").set_value(prompt)
    at.button(key="create_go").click()
    at.run()
    env.wait_idle()
    return env.latest("create").id


def posts(env: AppEnv, route: str) -> list:
    return [r for r in env.emulator.requests if r[0] == "POST" and r[1] == route]


def test_upload_then_edit(app_env: AppEnv) -> None:
    at = app_env.app(EDIT)
    upload(at, picture(size=(480, 640)))
    assert at.session_state["edit_aspect_ratio"] == "9:16", "shape follows the source"
    apply_edit(at, "Make it night", edit_shot_angle="low-angle", edit_shot_type="close-up")
    app_env.wait_idle()
    at.run()
    edit = app_env.latest("edit")
    assert edit.status == "completed", edit.message
    assert edit.request["shotAngle"] == "low-angle" and edit.request["shotType"] == "close-up"
    assert len(posts(app_env, "assets/")) == 1
    parent = app_env.store.get(edit.parent_id, app_env.key)
    assert parent.kind == "upload" and edit.request["referenceAssetId"] == parent.file_id
    assert "Before and after" in [s.value for s in at.subheader]
    assert not at.exception


def test_edit_an_earlier_result_uses_its_file_id_without_uploading(app_env: AppEnv) -> None:
    row_id = create_result(app_env)
    parent = app_env.store.get(row_id, app_env.key)
    at = app_env.app(EDIT)
    at.session_state["edit_ref_mode"] = "One of my results"
    at.session_state["edit_ref_row"] = row_id
    at.run()
    apply_edit(at, "Add a red boat")
    app_env.wait_idle()
    edit = app_env.latest("edit")
    assert edit.request["referenceAssetId"] == parent.file_id
    assert edit.parent_id == row_id
    assert posts(app_env, "assets/") == []


def test_edit_this_on_a_result_opens_edit_with_it_selected(app_env: AppEnv) -> None:
    row_id = create_result(app_env)
    at = app_env.app()
    at.button(key=f"create_card_{row_id}_edit").click()
    at.run()
    assert at.session_state["edit_ref_row"] == row_id
    assert at.title[0].value == "Edit"


def test_three_step_chain_shows_its_lineage_in_order(app_env: AppEnv) -> None:
    row_id = create_result(app_env, "A small house")
    at = app_env.app(EDIT)
    prompts = ["Add snow", "Add a fox", "Make it night"]
    for prompt in prompts:
        at.session_state["edit_ref_mode"] = "One of my results"
        at.session_state["edit_ref_row"] = row_id
        apply_edit(at, prompt)
        app_env.wait_idle()
        at.run()
        row_id = app_env.latest("edit").id
    at.run()
    chain = app_env.store.lineage(row_id, app_env.key)
    assert [r.prompt for r in chain] == ["A small house", *prompts]
    assert "Original (create) → Edit 1 → Edit 2 → Edit 3" in texts(at)


def test_restore_settings_of_a_step(app_env: AppEnv) -> None:
    row_id = create_result(app_env)
    at = app_env.app(EDIT)
    at.session_state["edit_ref_mode"] = "One of my results"
    at.session_state["edit_ref_row"] = row_id
    apply_edit(at, "Paint it blue", edit_shot_angle="overhead")
    app_env.wait_idle()
    at.run()
    edit = app_env.latest("edit")
    at.text_area(key="edit_prompt").set_value("something else")
    at.run()
    at.button(key=f"edit_lin_restore_{edit.id}").click()
    at.run()
    assert at.text_area(key="edit_prompt").value == "Paint it blue"
    assert at.session_state["edit_shot_angle"] == "overhead"
    assert at.session_state["edit_seed"] == edit.seed


def test_edit_needs_an_image_and_a_prompt(app_env: AppEnv) -> None:
    at = app_env.app(EDIT)
    apply_edit(at, "")
    messages = [e.value for e in at.error]
    assert "Please enter the prompt." in messages
    assert any(m.startswith("Please choose the image to edit") for m in messages)
    assert app_env.store.count(app_env.key) == 0


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"this is not an image", "notes.png", "not an image the app can read"),
        (picture()[:200], "broken.png", "damaged or incomplete"),
        (picture(fmt="GIF", mode="L"), "anim.png", "not supported"),
        (b"\x89PNG" + b"0" * (21 * 1024 * 1024), "huge.png", "the limit is 20 MB"),
    ],
    ids=["not-image", "corrupt", "gif", "too-large"],
)
def test_bad_uploads_get_a_clear_message(app_env: AppEnv, data: bytes, name: str,
                                         expected: str) -> None:  # fmt: skip
    at = app_env.app(EDIT)
    upload(at, data, name)
    assert any(expected in e.value for e in at.error), [e.value for e in at.error]
    assert posts(app_env, "assets/") == []
    assert not at.exception


@pytest.mark.parametrize(
    ("mode", "note"),
    [("CMYK", "converted from CMYK"), ("I;16", "16-bit"), ("RGBA", "transparent areas")],
)
def test_awkward_images_are_converted_safely(app_env: AppEnv, mode: str, note: str) -> None:
    at = app_env.app(EDIT)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    upload(at, picture(mode=mode, fmt=fmt), f"odd.{fmt.lower()}")
    assert note in texts(at)
    assert len(posts(app_env, "assets/")) == 1
