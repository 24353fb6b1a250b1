"""Hostile input on the pages, driven by AppTest: a history file full of bad records, stored
pictures that are not pictures, links that are not web addresses, prompts full of Markdown,
and webhooks in the demo."""

from __future__ import annotations

import builtins
import http.server
import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from apptest_support import WAIT_FLOOR_SECONDS, AppEnv, app_env, texts, wait_until  # noqa: F401
from PIL import Image
from streamlit.testing.v1 import AppTest
from test_hostile_text import scan, shown

import kontextlab.emulator
from components import safe
from kontextlab.emulator import Emulator
from kontextlab.untrusted import plain

HISTORY = "pages/history.py"


def notice(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("info", "success", "error") for e in at.get(kind))


def import_file(at: AppTest, document: object) -> None:
    at.file_uploader(key="history_import_file").upload(
        "history.json", json.dumps(document).encode(), "application/json"
    )
    at.run()


def test_an_import_says_how_many_records_were_skipped(app_env: AppEnv) -> None:
    good = {"id": "g1", "kind": "create", "status": "completed", "prompt": "A quiet lake",
            "request": {"prompt": "A quiet lake"}}  # fmt: skip
    bad_request = dict(good, id="g2", request={"prompt": "", "aspectRatio": "4:3"})
    at = app_env.app(HISTORY)
    import_file(at, {"jobs": [good, bad_request, "not a record"]})
    assert "Imported 1 new job; skipped 2 that could not be read." in notice(at)
    assert [r.prompt for r in app_env.store.list(app_env.key)] == ["A quiet lake"]
    import_file(at, {"jobs": [good, 5]})
    assert (
        "Imported 0 new jobs; skipped 1 that could not be read. "
        "1 was already in your history." in notice(at)
    )
    assert not at.exception


# ---------------------------------------------------------------- pictures that are not pictures

GARBAGE = b"<html>this is not a picture</html>"


def bomb() -> bytes:
    """48 megapixels in a few kilobytes: over the app's pixel limit."""
    out = io.BytesIO()
    Image.new("1", (8000, 6000), 0).save(out, format="PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (320, 180)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def planted(env: AppEnv, prompt: str, *, kind: str = "create", parent: str | None = None,
            **blobs: object) -> str:  # fmt: skip
    """A finished job as the store keeps it, with whatever bytes a test wants as pictures."""
    request = {"prompt": prompt, "seed": 5}
    if kind == "edit":
        request["referenceAssetId"] = "file-parent"
    rid = env.store.add_job(
        account_key=env.key, kind=kind, request=request, summary=request, parent_id=parent
    )
    env.store.update_job(
        rid,
        status="completed",
        job_id=f"job-{rid}",
        file_id=f"file-{rid}",
        mime_type="image/png",
        width=1344,
        height=768,
        **blobs,
    )
    return rid


def select(at: AppTest, prompt: str) -> None:
    table = at.dataframe[0]
    index = list(table.value["prompt"]).index(prompt)
    at.session_state[table.key] = {"selection": {"rows": [index], "columns": [], "cells": []}}
    at.run()


def broken_notes(at: AppTest) -> int:
    return [c.value for c in at.caption].count(safe.BROKEN_PICTURE)


@pytest.mark.parametrize("bad", [GARBAGE, bomb()], ids=["garbage", "bomb"])
def test_a_stored_picture_that_is_not_one_never_stops_a_page(app_env: AppEnv, bad: bytes) -> None:
    root = planted(app_env, "A broken original", thumbnail=bad, image=bad)
    edit = planted(app_env, "A broken edit", kind="edit", parent=root, thumbnail=bad, image=bad)

    at = app_env.app()  # Create: the result card
    assert not at.exception
    assert broken_notes(at) >= 1 and "A broken original" in texts(at)
    assert not at.image

    at.switch_page("pages/edit.py")  # Edit: the picked source, before and after, lineage, card
    at.run()
    assert not at.exception
    assert at.selectbox(key="edit_ref_row").value == edit
    assert broken_notes(at) >= 3 and "Lineage" in [s.value for s in at.subheader]
    assert not at.image

    at.switch_page("pages/history.py")  # History: the detail still offers every action
    at.run()
    select(at, "A broken edit")
    assert not at.exception
    assert broken_notes(at) == 1 and "Delete this job from your history?" in texts(at)
    [delete] = [b for b in at.button if b.label == "Yes, delete it"]
    delete.click()
    at.run()
    assert not at.exception
    assert app_env.store.get(edit, app_env.key) is None
    assert list(at.dataframe[0].value["prompt"]) == ["A broken original"]


def test_a_broken_full_image_falls_back_to_its_thumbnail(app_env: AppEnv) -> None:
    rid = planted(app_env, "Half broken", thumbnail=jpeg(), image=GARBAGE)
    at = app_env.app()
    assert not at.exception and broken_notes(at) == 0
    assert len(at.image) == 1 and "Half broken" in at.image[0].captions
    at.switch_page("pages/history.py")
    at.run()
    select(at, "Half broken")
    assert not at.exception and broken_notes(at) == 0 and len(at.image) == 1
    assert app_env.store.get(rid, app_env.key) is not None


def test_a_stored_link_that_is_a_server_path_is_never_opened(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real_open = builtins.open

    def watching_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    rid = planted(app_env, "A sneaky link")
    soon = datetime.now(UTC) + timedelta(hours=1)
    app_env.store.update_job(rid, asset_url="/etc/hostname", url_expires_at=soon)
    monkeypatch.setattr(builtins, "open", watching_open)
    at = app_env.app()
    at.switch_page("pages/history.py")
    at.run()
    select(at, "A sneaky link")
    monkeypatch.undo()
    assert not at.exception
    assert "/etc/hostname" not in opened
    assert not at.image and "No picture was kept for this job." in texts(at)
    assert "Open full image" not in [b.label for b in at.get("link_button")]


# ---------------------------------------------------------------- text is shown as written

HOSTILE = (
    "[click](https://evil.example) ![x](https://evil.example/a.png) <b>hi</b> "
    ":red[alert] $x$ **bold** `code` www.evil.example"
)


def markdown_sources(at: AppTest) -> list[str]:
    """Every Markdown text on the page: captions, alerts, Markdown, picture captions."""
    found = [str(e.value) for kind in ("markdown", "caption", "error", "warning", "info")
             for e in at.get(kind)]  # fmt: skip
    return found + [c for image in at.image for c in image.captions if c]


def shown_as_written(at: AppTest, text: str) -> list[str]:
    """The Markdown sources on the page that a reader sees as exactly `text`, or that
    contain it; a source that still carries live Markdown fails the test."""
    return [s for s in markdown_sources(at) if text in scan(s)[0] and shown(s)]


def test_a_prompt_full_of_markdown_and_html_is_shown_as_written(app_env: AppEnv) -> None:
    root = planted(app_env, HOSTILE, thumbnail=jpeg())
    edit_prompt = "# Heading? " + HOSTILE
    planted(app_env, edit_prompt, kind="edit", parent=root, thumbnail=jpeg(), image=jpeg())

    at = app_env.app()  # the card on Create
    assert [shown(c) for c in at.image[0].captions] == [HOSTILE]

    at.switch_page("pages/edit.py")  # the card and the lineage on Edit
    at.run()
    assert len(shown_as_written(at, edit_prompt)) >= 2, markdown_sources(at)
    assert "Original (create) → Edit 1" in texts(at)

    at.switch_page("pages/history.py")  # the detail on History
    at.run()
    select(at, HOSTILE)
    assert [shown(c) for c in at.image[0].captions] == [HOSTILE]
    assert HOSTILE in list(at.dataframe[0].value["prompt"])
    assert not at.exception


def test_a_server_message_is_shown_as_written(app_env: AppEnv) -> None:
    message = "Rejected: see [details](https://evil.example) <img src=x onerror=alert(1)>"
    rid = planted(app_env, "A calm sea")
    app_env.store.update_job(rid, status="failed", message=message)
    at = app_env.app()
    [error] = [e.value for e in at.error]
    assert shown(error) == f"{message}  \n“A calm sea”"
    at.switch_page("pages/history.py")
    at.run()
    select(at, "A calm sea")
    assert [shown(e.value) for e in at.error] == [message]
    assert not at.exception


# ---------------------------------------------------------------- the demo sends no webhook


class Listener(http.server.BaseHTTPRequestHandler):
    """A webhook receiver on loopback: counts what reaches it."""

    received: ClassVar[list[str]] = []
    address: ClassVar[str] = ""

    def do_POST(self) -> None:
        Listener.received.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    Listener.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Listener)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    Listener.address = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield Listener.address
    server.shutdown()
    server.server_close()


@pytest.fixture
def demo(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Emulator]]:
    """The app without a token (demo mode, its built-in emulator), and that emulator."""
    started: list[Emulator] = []

    class Recorded(Emulator):
        def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
            started.append(self)
            return super().start(port, host)

    monkeypatch.setattr(kontextlab.emulator, "Emulator", Recorded)
    monkeypatch.delenv("USEAPI_TOKEN")
    monkeypatch.delenv("USEAPI_BASE_URL")
    monkeypatch.setenv("KONTEXTLAB_DEMO_JOB_SECONDS", "0.3")
    yield started
    app_env.wait_idle()
    for emulator in started:
        emulator.stop()


def webhook_notes(at: AppTest) -> list[str]:
    """What a reader sees of the webhook notes; the address in them must be plain text."""
    sources = [c.value for c in at.caption if "webhook" in c.value]
    assert all(plain(Listener.address) in source for source in sources), sources
    return [scan(source)[0] for source in sources]


def test_the_demo_shows_the_webhook_and_sends_nothing(
    app_env: AppEnv, demo: list[Emulator], listener: str
) -> None:
    at = app_env.app()
    at.sidebar.toggle(key="dev_options").set_value(True).run()  # the webhook is for developers
    at.text_area(key="create_prompt").set_value("A lighthouse in the fog")
    at.text_input(key="create_reply_url").set_value(listener)
    at.button(key="create_go").click()
    at.run()
    [emulator] = demo
    assert emulator.config.allow_webhook_hosts == ()
    wait_until(lambda: emulator.webhooks, "the demo to finish the job", WAIT_FLOOR_SECONDS)
    assert emulator.webhooks == [(listener, "skipped: host 127.0.0.1 not allowed")]
    app_env.wait_idle()
    at.run()
    note = f"Demo mode: the webhook would be sent to {listener} (not sent)."
    assert webhook_notes(at) == [note]
    at.switch_page("pages/history.py")
    at.run()
    select(at, "A lighthouse in the fog")
    assert webhook_notes(at) == [note]
    assert not at.exception
    assert Listener.received == []
