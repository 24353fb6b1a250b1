"""The pages keep within the bounds: the cap on jobs in flight is explained, not hit silently."""

from __future__ import annotations

from apptest_support import AppEnv, app_env  # noqa: F401
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
