"""Compare any two results (AppTest): two rows picked in History, or "Compare with…" on a
result card. Both pictures, the prompts' word diff, and only the settings that differ."""

from __future__ import annotations

import io
import re

import pytest
from apptest_support import AppEnv, app_env, texts  # noqa: F401
from PIL import Image
from seam_support import prepared, seam
from streamlit.proto.Dataframe_pb2 import Dataframe
from streamlit.testing.v1 import AppTest

from components import compare
from kontextlab.emulator import DEMO_TOKEN
from kontextlab.jobs import JobRunner, RunnerSettings
from kontextlab.providers import ltx
from kontextlab.providers.ltx import requests as p
from kontextlab.textdiff import diff

HISTORY = "pages/history.py"
CREATE = "pages/create.py"
OLDER = "A red fox in the snow"
NEWER = "A grey fox in the snow"


def make_job(env: AppEnv, prompt: str, **fields: object) -> str:
    """A real job through the emulator, recorded as the app records it. Returns the row id."""
    request = p.CreateRequest(prompt=prompt, poll_for_result=1, **fields)
    runner = JobRunner(env.store, RunnerSettings(poll_interval=0.05))
    rid = runner.submit(
        seam(ltx.Client(env.base_url, env.token)), prepared(request), account_key=env.key
    )
    env.wait_idle()
    return rid


def bfl_row(env: AppEnv, prompt: str, *, key: str | None = None, failed: bool = False) -> str:
    """A BFL row as the app records one: its body, its model, a picture unless it failed."""
    body = {"prompt": prompt, "aspect_ratio": "1:1", "seed": 77, "output_format": "png"}
    rid = env.store.add_job(
        account_key=key or env.key,
        kind="create",
        request=body,
        summary={"prompt": prompt, "aspect_ratio": "1:1", "seed": 77, "model": "flux-kontext-max"},
        provider="bfl",
    )
    env.store.update_job(rid, status="active", job_id=f"bfl-{rid}")
    if failed:
        env.store.update_job(rid, status="failed", message="The picture was refused.")
        return rid
    out = io.BytesIO()
    Image.new("RGB", (512, 512), (20, 90, 200)).save(out, format="PNG")
    env.store.update_job(
        rid, status="completed", width=512, height=512, mime_type="image/png", image=out.getvalue()
    )
    return rid


def pick(at: AppTest, *prompts: str) -> None:
    """Tick rows of History's table (AppTest sets the selection through the table's key)."""
    table = at.dataframe[0]
    shown = table.value["prompt"].tolist()
    rows = sorted(shown.index(prompt) for prompt in prompts)
    at.session_state[table.key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()


def captions(at: AppTest) -> list[str]:
    return [c for image in at.image for c in image.captions if c]


def html(at: AppTest, testid: str) -> str:
    found = [str(h.proto.body) for h in at.get("html") if f'data-testid="{testid}"' in h.proto.body]
    assert len(found) == 1, f"no single {testid} in the page"
    return found[0]


def marked(diff: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", diff)


def settings(at: AppTest) -> dict[str, tuple[str, str]]:
    """The settings table: setting → (A's value, B's value)."""
    body = html(at, "settings-diff").split("<tbody>")[1]
    rows = re.findall(r"<tr><th[^>]*>(.*?)</th><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", body)
    return {k: (a, b) for k, a, b in rows}


@pytest.fixture
def two(app_env: AppEnv) -> tuple[AppEnv, str, str]:
    older = make_job(app_env, OLDER, style="anime", seed=11, aspect_ratio="16:9")
    newer = make_job(app_env, NEWER, seed=12, aspect_ratio="16:9")
    return app_env, older, newer


# ---------------------------------------------------------------- History


def test_two_history_rows_show_pictures_diff_and_differing_settings(two) -> None:
    env, _, _ = two
    at = env.app(HISTORY)
    assert list(at.dataframe[0].proto.selection_mode) == [Dataframe.SelectionMode.MULTI_ROW]
    pick(at, OLDER, NEWER)
    assert not at.exception
    assert "Comparing two results" in [h.value for h in at.subheader]
    shown = captions(at)
    assert any(c.startswith("A · create · ") for c in shown), shown
    assert any(c.startswith("B · create · ") for c in shown), shown
    assert not any(c in (OLDER, NEWER) for c in shown), "the details of one row stay closed"
    diff = html(at, "prompt-diff")
    assert marked(diff, "del") == ["red"] and marked(diff, "ins") == ["grey"]
    assert "fox in the snow" in diff
    assert settings(at) == {"Look": ("anime", "none"), "Seed": ("11", "12")}
    assert [t.label for t in at.tabs] == ["Side by side", "Wipe"]
    assert "Select a row to open the job." not in texts(at)


def test_same_settings_apart_from_the_prompt(app_env: AppEnv) -> None:
    make_job(app_env, OLDER, seed=5)
    make_job(app_env, NEWER, seed=5)
    at = app_env.app(HISTORY)
    pick(at, OLDER, NEWER)
    assert compare.SAME_SETTINGS in texts(at)
    assert not [h for h in at.get("html") if 'data-testid="settings-diff"' in h.proto.body]


def test_three_rows_ask_for_two_and_one_row_opens_its_details(two) -> None:
    env, _, _ = two
    make_job(env, "A third fox")
    at = env.app(HISTORY)
    pick(at, OLDER, NEWER, "A third fox")
    assert "Pick two rows to compare them." in texts(at)
    assert not at.get("html") or not any("prompt-diff" in h.proto.body for h in at.get("html"))
    pick(at, NEWER)
    assert NEWER in captions(at), "one row opens its details as before"
    assert "Pick two rows to compare them." not in texts(at)


def test_close_ends_the_comparison(two) -> None:
    env, _, _ = two
    at = env.app(HISTORY)
    pick(at, OLDER, NEWER)
    at.button(key="history_compare_close").click().run()
    assert "Comparing two results" not in [h.value for h in at.subheader]
    assert "Select a row to open the job." in texts(at)


def test_an_ltx_row_against_a_failed_bfl_row(app_env: AppEnv) -> None:
    make_job(app_env, OLDER, seed=11, aspect_ratio="1:1")
    bfl_row(app_env, "A red fox in the rain", failed=True)
    at = app_env.app(HISTORY)
    pick(at, OLDER, "A red fox in the rain")
    assert not at.exception
    assert any(c.startswith("A · create · ") for c in captions(at))
    assert "B failed: The picture was refused." in [e.value.replace("\\", "") for e in at.error]
    assert not at.tabs, "no wipe without two pictures"
    table = settings(at)
    assert table["Service"] == ("useapi.net (LTX Studio)", "Black Forest Labs")
    assert table["Model"] == ("FLUX.1 Kontext (default)", "FLUX.1 Kontext [max]")
    assert table["Seed"] == ("11", "77")
    assert table["File format"] == ("—", "png")
    assert "Aspect ratio" not in table and "Kind" not in table
    diff = html(at, "prompt-diff")
    assert marked(diff, "del") == ["snow"] and marked(diff, "ins") == ["rain"]


def test_hostile_prompts_are_shown_as_text(app_env: AppEnv) -> None:
    hostile = '<img src=x onerror="alert(1)"> [x](javascript:alert(1)) :red[hi] ' + "é" * 1900
    bfl_row(app_env, "A quiet lake")
    bfl_row(app_env, hostile)
    at = app_env.app(HISTORY)
    table = at.dataframe[0]
    at.session_state[table.key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    diff = html(at, "prompt-diff")
    assert "<img" not in diff and "&lt;img" in diff and "&quot;alert(1)&quot;&gt;" in diff
    assert "[x](javascript:alert(1))" in diff
    assert marked(diff, "del") == ["A quiet lake"]


# ---------------------------------------------------------------- a result card


def card_picker(at: AppTest, rid: str):
    """Open a card's "Compare with…" popover; its picker."""
    at.session_state[f"create_card_{rid}_compare_open"] = True
    at.run()
    return at.selectbox(key=f"create_card_{rid}_compare")


def test_compare_with_on_a_card_opens_the_chosen_row(two) -> None:
    env, older, newer = two
    at = env.app(CREATE)
    picker = card_picker(at, newer)
    assert picker.label == "Compare with"
    assert picker.options == ["A red fox in the snow · seed 11"]
    picker.select(older).run()
    assert not at.exception
    diff = html(at, "prompt-diff")
    assert marked(diff, "del") == ["red"] and marked(diff, "ins") == ["grey"]
    assert settings(at) == {"Look": ("anime", "none"), "Seed": ("11", "12")}
    shown = captions(at)
    assert any(c.startswith("A · create · ") for c in shown)
    assert any(c.startswith("B · create · ") for c in shown)
    assert at.session_state[f"create_card_{newer}_compare_open"] is False, "the popover shut"
    at.run()
    assert html(at, "prompt-diff"), "the comparison stays open until it is closed"
    assert card_picker(at, newer).value is None, "the picker is empty again"


def test_a_card_offers_only_the_visitors_own_results(app_env: AppEnv) -> None:
    mine = make_job(app_env, OLDER, seed=11)
    stranger = AppEnv(
        app_env.emulator, app_env.base_url, app_env.db_url, DEMO_TOKEN, visitor="someone-else-01"
    )
    theirs = bfl_row(app_env, "A stranger's secret castle", key=stranger.key)
    at = app_env.app(CREATE)
    assert card_picker(at, mine).options == [], "nothing else of this visitor's to offer"
    assert "A stranger's secret castle" not in texts(at)
    # Even an id of theirs put where a card's choice goes shows nothing of their row.
    at.session_state[compare.CARD_OPEN] = (f"create_card_{mine}", mine, theirs)
    at.run()
    assert compare.NOT_YOURS in texts(at)
    assert "castle" not in texts(at) and not [h for h in at.get("html") if "castle" in h.proto.body]


# ---------------------------------------------------------------- drawn safely


def test_the_diff_and_the_table_draw_anyones_text_as_text() -> None:
    hostile = (
        '<script>alert(1)</script> <b onclick="x()">bold</b> &amp; **md** [a](javascript:x) '
        "\u202eevil\u202c \u200bzero " + "ж" * 9_000
    )
    drawn = compare.diff_html(diff("a calm sea", hostile))
    assert "<script" not in drawn and "<b " not in drawn and "javascript:x" in drawn
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in drawn and "&amp;amp;" in drawn
    assert "\u202eevil\u202c" in drawn, "every character is kept"
    # Each run sits in an element that isolates its direction from the page around it.
    assert drawn.count("unicode-bidi:isolate") == len(re.findall(r"<(del|ins|span)\b", drawn))
    assert marked(drawn, "del") == ["a calm sea"]
    table = compare.settings_table([("Webhook URL", "<img src=x onerror=y()>", "—")])
    assert "<img" not in table and "&lt;img src=x onerror=y()&gt;" in table
