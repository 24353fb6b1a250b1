"""Pictures that carry their recipe, "Copy settings" and `?job=<id>` links, in the app
(AppTest against the in-process emulator over real HTTP)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from apptest_support import (  # noqa: F401
    AppEnv,
    app_env,
    both_services,
    fast_config,
    steady_navigation,
    texts,
)
from PIL import Image
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from components.card_tools import LINK_NOT_FOUND
from components.visitor import STATE_KEY as VISITOR_STATE
from kontextlab.emulator import DEMO_BFL_KEY, DEMO_EMAIL, DEMO_TOKEN
from kontextlab.images import download_name, read_recipe
from kontextlab.images.recipe import JPEG_PREFIX

PROMPT = "A red fox at golden hour, «renard» 🦊"


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], bytes]]:
    """The deferred downloads the page offers, by file name (AppTest cannot click them): the
    function each Download button calls for its bytes."""
    offered: dict[str, Callable[[], bytes]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        offered[file_name or ""] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return offered


def generate(env: AppEnv, at: AppTest, prompt: str = PROMPT, **state: object) -> None:
    at.text_area(key="create_prompt").set_value(prompt)
    at.radio(key="create_seed_mode").set_value("Fixed").run()
    at.number_input(key="create_seed").set_value(4242)
    for key, value in state.items():
        at.session_state[key] = value
    at.button(key="create_go").click().run()
    env.wait_idle()
    at.run()
    assert not at.exception


def popovers(at: AppTest) -> list[str]:
    return [block.proto.popover.label for block in at.get("popover")]


def json_codes(at: AppTest) -> list[dict]:
    return [json.loads(c.value) for c in at.code if c.language == "json"]


def visit(env: AppEnv, job: str, visitor: str | None = None) -> AppTest:
    """A visitor (this one by default) opening the app with `?job=<job>`."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[VISITOR_STATE] = visitor or env.visitor
    at.query_params["job"] = job
    at.run()
    return at


APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


# ---------------------------------------------------------------- downloads


def test_the_downloaded_png_carries_prompt_and_seed(app_env: AppEnv, downloads) -> None:
    at = app_env.app()
    generate(app_env, at, create_style="anime")
    record = app_env.latest("create")
    assert record.status == "completed" and record.mime_type == "image/png", record.message
    served = downloads[download_name(record.prompt, record.mime_type, record.seed)]()
    with Image.open(io.BytesIO(served)) as image:
        text = dict(image.text)  # type: ignore[attr-defined]  # a PNG's text chunks
        assert image.size == (1344, 768)
    assert text["Description"] == PROMPT
    assert f"Seed: {record.seed}" in text["parameters"] and record.seed == 4242
    recipe = json.loads(text["kontextlab"])
    assert recipe == {
        "prompt": PROMPT,
        "kind": "create",
        "provider": "ltx",
        "model": "flux",
        "look": "anime",
        "shape": "16:9",
        "seed": 4242,
    }
    kept = app_env.store.image(record.id, app_env.key)
    with Image.open(io.BytesIO(kept)) as a, Image.open(io.BytesIO(served)) as b:
        assert a.tobytes() == b.tobytes(), "the same pixels"
    for secret in (DEMO_TOKEN, record.id, "replyRef", DEMO_EMAIL):
        assert secret.encode() not in served


def test_history_serves_the_picture_with_its_recipe_too(app_env: AppEnv, downloads) -> None:
    at = app_env.app()
    generate(app_env, at)
    record = app_env.latest("create")
    downloads.clear()
    at.switch_page("pages/history.py").run()
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.subheader[0].value == "Create · completed"
    served = downloads[download_name(record.prompt, record.mime_type, record.seed)]()
    assert read_recipe(served)["prompt"] == PROMPT and read_recipe(served)["seed"] == 4242
    assert json_codes(at) == [read_recipe(served)], "Copy settings shows the same recipe"
    assert f"?job={record.id}" in [c.value for c in at.code]


@pytest.fixture
def both(both_services: AppEnv) -> AppEnv:
    """A deployment with both services, on one in-process emulator."""
    return both_services


def test_a_downloaded_jpeg_carries_its_recipe(both: AppEnv, downloads) -> None:
    at = both.app()
    at.sidebar.radio(key="conn_provider").set_value("bfl").run()
    hostile = "Ein Fuchs\x00\x1b[31m 狐 " + "x" * 1500
    generate(both, at, hostile, create_output_format="jpeg")
    record = both.latest("create")
    assert record.provider == "bfl" and record.mime_type == "image/jpeg", record.message
    served = downloads[download_name(record.prompt, record.mime_type, record.seed)]()
    with Image.open(io.BytesIO(served)) as image:
        image.load()
        comment = image.info["comment"]
    assert comment.startswith(JPEG_PREFIX)
    recipe = json.loads(comment[len(JPEG_PREFIX) :])
    assert recipe["prompt"] == hostile and recipe["seed"] == 4242
    assert recipe["provider"] == "bfl" and recipe["model"] == "flux-kontext-pro"
    assert "look" not in recipe, "BFL has no looks"
    assert read_recipe(served) == recipe
    assert DEMO_BFL_KEY.encode() not in served


# ---------------------------------------------------------------- copy settings and links


def test_copy_settings_shows_the_recipe_as_json(app_env: AppEnv) -> None:
    at = app_env.app()
    generate(app_env, at, create_style="film_noir", create_aspect_ratio="1:1")
    shown = json_codes(at)
    assert shown == [
        {
            "prompt": PROMPT,
            "kind": "create",
            "provider": "ltx",
            "model": "flux",
            "look": "film_noir",
            "shape": "1:1",
            "seed": 4242,
        }
    ]
    assert "Copy settings" in popovers(at)


def test_a_card_gives_its_link(app_env: AppEnv) -> None:
    at = app_env.app()
    generate(app_env, at)
    record = app_env.latest("create")
    assert "Link to this picture" in popovers(at)
    assert f"?job={record.id}" in [c.value for c in at.code]


def test_a_link_opens_the_picture_for_its_owner(app_env: AppEnv) -> None:
    at = app_env.app()
    generate(app_env, at)
    record = app_env.latest("create")
    opened = visit(app_env, record.id)
    assert not opened.exception
    assert opened.subheader[0].value == "Create · completed", "History opens the picture"
    assert PROMPT in texts(opened) and LINK_NOT_FOUND not in texts(opened)
    assert "job" not in opened.query_params


def test_a_link_is_not_found_for_anyone_else(app_env: AppEnv) -> None:
    at = app_env.app()
    generate(app_env, at)
    record = app_env.latest("create")
    stranger = visit(app_env, record.id, visitor="apptest-visitor-0002")
    assert not stranger.exception
    assert LINK_NOT_FOUND in [e.value for e in stranger.error]
    assert PROMPT not in texts(stranger) and record.id not in texts(stranger)
    assert not [s for s in stranger.subheader if "completed" in s.value]


ODD_LINKS = [
    "",
    "x" * 10_000,
    "' OR '1'='1",
    "1; DROP TABLE kontextlab_jobs; --",
    "<script>alert(1)</script>",
    "狐\u202e\x00\x1b",
    "%",
]


def test_odd_links_say_not_found_and_break_nothing(app_env: AppEnv) -> None:
    at = app_env.app()
    generate(app_env, at)
    for job in ODD_LINKS:
        shown = visit(app_env, job)
        assert not shown.exception, job[:40]
        assert LINK_NOT_FOUND in [e.value for e in shown.error], job[:40]
        assert PROMPT not in texts(shown), job[:40]
    assert app_env.store.count(app_env.key) == 1, "nothing was dropped"
