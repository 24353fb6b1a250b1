"""The pages keep within the bounds: the cap on jobs in flight is explained, not hit silently."""

from __future__ import annotations

import io

import pytest
from apptest_support import AppEnv, app_env  # noqa: F401
from PIL import Image
from test_app_history import HISTORY, click, make_job, select

from kontextlab.jobs import RunnerSettings


def test_a_fifth_picture_on_the_way_is_refused_with_a_sentence(app_env: AppEnv) -> None:
    cap = RunnerSettings().max_in_flight_per_scope
    app_env.emulator.faults.add("images/flux-create", kind="slow", delay=3.0, count=cap)
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A lighthouse in fog")
    for _ in range(cap + 1):
        at.button(key="create_go").click()
        at.run()
    toasts = [t.value for t in at.toast]
    assert f"Not sent: You already have {cap} pictures on the way; wait for one to finish, " \
        "then try again." in toasts, toasts  # fmt: skip
    assert app_env.store.count(app_env.key) == cap
    assert not at.exception
    app_env.wait_idle()
    posted = [r for r in app_env.emulator.requests if r[:2] == ("POST", "images/flux-create")]
    assert len(posted) == cap


def test_the_upscale_of_an_upscale_button_is_disabled(app_env: AppEnv) -> None:
    make_job(app_env, "A red fox at golden hour")
    at = app_env.app(HISTORY)
    select(at, "A red fox at golden hour")
    click(at, "Upscale")
    app_env.wait_idle()
    at.run()
    assert at.subheader[0].value == "Upscale · completed"
    button = next(b for b in at.button if b.label == "Upscale")
    assert button.disabled and button.help == "An upscale cannot be upscaled again"
    assert not at.exception


def test_a_big_upload_is_scaled_down_with_a_note_and_prepared_once(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kontextlab.images import reference

    reference.PREPARED.clear()
    prepared: list[str] = []
    real = reference._prepare

    def counting(data: bytes, digest: str) -> reference.PreparedImage:
        prepared.append(digest)
        return real(data, digest)

    monkeypatch.setattr(reference, "_prepare", counting)
    out = io.BytesIO()
    Image.linear_gradient("L").resize((6_000, 3_000)).convert("RGB").save(out, "JPEG")
    at = app_env.app("pages/edit.py")
    at.file_uploader(key="edit_ref_file").set_value(("big.jpg", out.getvalue(), "image/jpeg"))
    at.run()
    at.run()  # a rerun while the file sits in the uploader
    assert any("scaled down from 6,000 × 3,000" in c.value for c in at.caption)
    assert len(prepared) == 1
    uploads = [r for r in app_env.emulator.requests if r[:2] == ("POST", "assets/")]
    assert len(uploads) == 1
    row = app_env.latest("upload")
    assert row is not None and row.width * row.height <= reference.UPLOAD_PIXELS
    assert not at.exception
    reference.PREPARED.clear()
