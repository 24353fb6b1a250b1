"""The seed shown is always the seed sent: Random draws one, Re-run repeats it, Vary changes it.

The emulator answers like the vendor (no seed in any answer), so whatever seed the pages
show can only come from what the app itself sent. The bodies are read off the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from apptest_support import AppEnv, app_env, texts  # noqa: F401

from kontextlab.providers import RANDOM_SEED_MAX

EDIT = "pages/edit.py"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    """JSON bodies of every generation POST the app sends, in order."""
    bodies: list[dict] = []
    original = requests.Session.send

    def send(self: requests.Session, request: requests.PreparedRequest, **kw: object):
        if request.method == "POST" and "/images/" in (request.url or ""):
            bodies.append(json.loads(request.body or b"{}"))
        return original(self, request, **kw)

    monkeypatch.setattr(requests.Session, "send", send)
    yield bodies


def generate(env: AppEnv, at, prompt: str, **state: object) -> None:
    at.text_area(key="create_prompt").set_value(prompt)
    for key, value in state.items():
        at.session_state[key] = value
    at.button(key="create_go").click()
    at.run()
    env.wait_idle()
    at.run()


def click(env: AppEnv, at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()
    env.wait_idle()
    at.run()


def test_the_emulator_answers_without_a_seed(app_env: AppEnv, sent: list[dict]) -> None:
    at = app_env.app()
    generate(app_env, at, "A red lighthouse")
    record = app_env.latest("create")
    job = requests.get(
        f"{app_env.base_url}/assets/{requests.utils.quote(record.job_id, safe='')}",
        headers={"Authorization": f"Bearer {app_env.token}"},
        timeout=10,
    ).json()
    assert job["status"]["type"] == "completed" and "seed" not in json.dumps(job)


def test_random_create_sends_the_seed_it_shows(app_env: AppEnv, sent: list[dict]) -> None:
    at = app_env.app()
    assert at.session_state["create_seed_mode"] == "Random"
    generate(app_env, at, "A red lighthouse")
    record = app_env.latest("create")
    seed = sent[0]["seed"]
    assert isinstance(seed, int) and 0 <= seed <= RANDOM_SEED_MAX
    assert record.status == "completed" and record.seed == seed
    assert f"seed {seed}" in texts(at)
    reuse = at.button(key="create_reuse_seed")
    assert not reuse.disabled and str(seed) in reuse.label


def test_fixed_create_sends_that_seed(app_env: AppEnv, sent: list[dict]) -> None:
    at = app_env.app()
    generate(app_env, at, "A red lighthouse", create_seed_mode="Fixed", create_seed=4242)
    assert sent[0]["seed"] == 4242 and app_env.latest("create").seed == 4242


def test_rerun_sends_the_same_seed_and_vary_a_new_one(app_env: AppEnv, sent: list[dict]) -> None:
    at = app_env.app()
    generate(app_env, at, "A red lighthouse")
    click(app_env, at, "Re-run")
    assert len(sent) == 2 and sent[1] == {**sent[0], "replyRef": sent[1]["replyRef"]}
    assert app_env.latest("create").seed == sent[0]["seed"]
    click(app_env, at, "Vary seed")
    assert len(sent) == 3 and sent[2]["seed"] != sent[0]["seed"]
    assert app_env.latest("create").seed == sent[2]["seed"]
    assert f"seed {sent[2]['seed']}" in texts(at)


@pytest.mark.parametrize("mode", ["Random", "Fixed"])
def test_edit_sends_the_seed_it_shows(app_env: AppEnv, sent: list[dict], mode: str) -> None:
    at = app_env.app()
    generate(app_env, at, "A quiet harbour at dawn")
    at.switch_page(EDIT).run()
    at.text_area(key="edit_prompt").set_value("Make it night")
    at.session_state["edit_seed_mode"] = mode
    at.session_state["edit_seed"] = 77
    at.button(key="edit_go").click()
    at.run()
    app_env.wait_idle()
    at.run()
    edit = app_env.latest("edit")
    body = sent[-1]
    assert "referenceAssetId" in body and isinstance(body["seed"], int)
    assert body["seed"] == 77 if mode == "Fixed" else body["seed"] != 77
    assert edit.status == "completed" and edit.seed == body["seed"]
    assert f"seed {body['seed']}" in texts(at)


def test_each_request_carries_its_row_as_reply_ref(app_env: AppEnv, sent: list[dict]) -> None:
    at = app_env.app()
    generate(app_env, at, "A red lighthouse")
    record = app_env.latest("create")
    assert sent[0]["replyRef"] == record.id
    # What is stored is what was sent, tag included; but the tag is not a setting the user
    # chose: a re-run carries its own row's tag, never this one.
    assert record.request == sent[0]
    click(app_env, at, "Re-run")
    again = app_env.latest("create")
    assert again.id != record.id and sent[1]["replyRef"] == again.id
