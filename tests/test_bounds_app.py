"""The pages keep within the bounds: the cap on jobs in flight is explained, not hit silently."""

from __future__ import annotations

from apptest_support import AppEnv, app_env  # noqa: F401

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
