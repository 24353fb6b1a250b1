"""Everyday words on Create and Edit, developer options behind the sidebar's switch, and looks
you can see (AppTest, both services on one in-process emulator)."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from apptest_support import AppEnv, both_services, fast_config, texts, wait_until  # noqa: F401
from google.protobuf.message import Message
from PIL import Image

from components import looks
from kontextlab.emulator import DEMO_TOKEN, Emulator
from kontextlab.providers.ltx.requests import STYLES
from kontextlab.vocabulary import NO_STYLE

PAGES = {"create": None, "edit": "pages/edit.py"}
# Names the APIs give their fields (and the curl command): never on an everyday page.
API_NAMES = (
    "pollForResult",
    "maxJobs",
    "replyUrl",
    "replyRef",
    "webhook_url",
    "webhook_secret",
    "referenceAssetId",
    "aspectRatio",
    "shotType",
    "shotAngle",
    "safety_tolerance",
    "output_format",
    "prompt_upsampling",
    "curl",
)
# Each service's developer fields: widget key suffix → the API's name shown with it.
DEVELOPER_FIELDS = {
    "ltx": {
        "wait": "pollForResult",
        "max_jobs": "maxJobs",
        "reply_url": "replyUrl",
        "reply_ref": "replyRef",
    },
    "bfl": {"webhook_url": "webhook_url", "webhook_secret": "webhook_secret"},
}
# Proto fields that are not read by anyone: widget ids (they hold our own key names), links.
NOT_SHOWN = {"id", "form_id", "url", "icon", "type"}


@pytest.fixture
def env(both_services: AppEnv) -> AppEnv:
    """A deployment with both services configured, both on one in-process emulator."""
    return both_services


def _strings(message: Message) -> Iterator[str]:
    for field, value in message.ListFields():
        if field.name in NOT_SHOWN:
            continue
        values = value if isinstance(value, (list, tuple)) or hasattr(value, "extend") else [value]
        for item in values:
            if isinstance(item, Message):
                yield from _strings(item)
            elif isinstance(item, str):
                yield item


def _nodes(node: object) -> Iterator[object]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)


def everything_shown(at) -> str:
    """Every text the page sends to the browser: labels, help, placeholders, options,
    captions, markdown, expander and popover titles, code and JSON, in the main area and
    the sidebar."""
    found = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            found.extend(_strings(proto))
    assert found, "nothing read from the page"
    # A picture drawn inline is its bytes, not words anyone reads.
    return re.sub(r"data:image/\w+;base64,[\w+/=]+", "<picture>", "\n".join(found))


def api_names_in(text: str) -> list[str]:
    return [name for name in API_NAMES if re.search(rf"\b{re.escape(name)}\b", text)]


def widgets(at) -> list:
    kinds = ("text_input", "text_area", "selectbox", "number_input", "slider", "radio", "toggle")
    return [w for kind in kinds for w in getattr(at, kind)]


def email_boxes(at) -> list[str]:
    """Widgets of the form asking for an account email, by label or by key (the sidebar's
    account picker is not the form's)."""
    return [
        str(w.label)
        for w in widgets(at.main)
        if "email" in str(w.label).lower() or str(w.key or "").endswith("_email")
    ]


def open_app(env: AppEnv, service: str, page: str, developer: bool = False):
    at = env.app(PAGES[page])
    if service == "bfl":
        at.sidebar.radio(key="conn_provider").set_value("bfl").run()
    if developer:
        at.sidebar.toggle(key="dev_options").set_value(True).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("service", ["ltx", "bfl"])
def test_no_api_name_on_an_everyday_page(env: AppEnv, service: str, page: str) -> None:
    at = open_app(env, service, page)
    at.text_area(key=f"{page}_prompt").set_value("A cat on a red sofa").run()
    shown = everything_shown(at)
    assert not api_names_in(shown), api_names_in(shown)
    assert not email_boxes(at), email_boxes(at)
    assert "Show request" not in shown and "For developers" not in shown
    assert not at.sidebar.toggle(key="dev_options").value
    # The control: the same page with developer options on names them, so their absence
    # above means something.
    at.sidebar.toggle(key="dev_options").set_value(True).run()
    assert api_names_in(everything_shown(at))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("service", ["ltx", "bfl"])
def test_developer_options_show_every_developer_field(env: AppEnv, service: str, page: str) -> None:
    at = open_app(env, service, page, developer=True)
    at.text_area(key=f"{page}_prompt").set_value("A cat on a red sofa").run()
    keys = {str(w.key) for w in widgets(at)}
    for suffix, api_name in DEVELOPER_FIELDS[service].items():
        assert f"{page}_{suffix}" in keys, f"no {suffix} field"
        field = next(w for w in widgets(at) if w.key == f"{page}_{suffix}")
        assert api_name in str(field.help), (suffix, field.help)
        assert api_name not in str(field.label), "labels stay in plain words"
    shown = everything_shown(at)
    assert "For developers" in shown and "Show request" in shown
    assert "sent only while developer options are on" in shown.lower()
    if page == "create":  # a valid request: its curl command shows
        assert any("curl" in c.value for c in at.code), [c.value for c in at.code]
    other = "bfl" if service == "ltx" else "ltx"
    for suffix in DEVELOPER_FIELDS[other]:
        assert f"{page}_{suffix}" not in keys, f"the other service's {suffix} is drawn"


def test_the_switch_is_remembered_across_pages(env: AppEnv) -> None:
    at = open_app(env, "ltx", "create", developer=True)
    at.switch_page("pages/edit.py").run()
    assert at.sidebar.toggle(key="dev_options").value
    assert "edit_reply_url" in {str(w.key) for w in widgets(at)}
    at.switch_page("pages/create.py").run()
    assert at.sidebar.toggle(key="dev_options").value and not at.exception


def test_hidden_developer_fields_are_not_sent(env: AppEnv) -> None:
    """Values typed with developer options on are not sent once they are off."""
    at = open_app(env, "ltx", "create", developer=True)
    at.text_input(key="create_reply_url").set_value("https://example.com/hook")
    at.number_input(key="create_max_jobs").set_value(3)
    at.text_input(key="create_reply_ref").set_value("my-tag").run()
    at.sidebar.toggle(key="dev_options").set_value(False).run()
    at.text_area(key="create_prompt").set_value("A quiet harbour")
    at.button(key="create_go").click().run()
    wait_until(lambda: env.latest("create") is not None, "the job row", 30)
    env.wait_idle()
    record = env.latest("create")
    assert record.status == "completed", record.message
    sent = record.request
    for name in ("pollForResult", "maxJobs", "replyUrl"):
        assert name not in sent, sent
    assert sent["replyRef"] == record.id, "the row's own tag, not the hidden typed one"
    # Turned on again, they are back as typed, and sent.
    at.sidebar.toggle(key="dev_options").set_value(True).run()
    assert at.text_input(key="create_reply_url").value == "https://example.com/hook"
    at.button(key="create_go").click().run()
    env.wait_idle()
    again = env.latest("create")
    assert again.id != record.id
    assert again.request["replyUrl"] == "https://example.com/hook"
    assert again.request["maxJobs"] == 3 and again.request["replyRef"] == "my-tag"


def test_the_account_shows_only_to_developers_with_several_accounts(
    env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One account (the deployer's): no box and no account line, even for developers.
    at = open_app(env, "ltx", "create", developer=True)
    assert not email_boxes(at)
    assert "Account:" not in texts(at)
    several = Emulator(fast_config(accounts=["ana@example.com", "ben@example.com"]))
    monkeypatch.setenv("USEAPI_BASE_URL", several.start())
    monkeypatch.setenv("KONTEXTLAB_SHARED_HISTORY", "true")  # a team may see its accounts
    team = AppEnv(env.emulator, env.base_url, env.db_url, DEMO_TOKEN, typed=True)
    try:
        at = env.app()
        at.sidebar.selectbox(key="conn_email").set_value("ben@example.com").run()
        assert "ben@example.com" not in "\n".join(c.value for c in at.main.caption)
        assert not email_boxes(at)
        at.text_area(key="create_prompt").set_value("A shared studio")
        at.button(key="create_go").click().run()
        team.wait_idle()
        assert team.latest("create").request["email"] == "ben@example.com", "still sent"
        at.sidebar.toggle(key="dev_options").set_value(True).run()
        line = [c.value for c in at.main.caption if c.value.startswith("Account:")]
        assert line and "ben@example.com" in line[0] and "`email`" in line[0], line
        assert not email_boxes(at), "the sidebar picks the account: no box"
    finally:
        several.stop()


# ---------------------------------------------------------------- looks


def test_every_look_has_a_small_preview() -> None:
    names = {p.stem for p in looks.PREVIEWS.glob("*.jpg")}
    assert names == {NO_STYLE, *STYLES}
    for style in names:
        data = (looks.PREVIEWS / f"{style}.jpg").read_bytes()
        assert len(data) < 15_000, (style, len(data))
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "JPEG" and img.width == 256, (style, img.size)
        assert style in looks.STYLE_DESCRIPTIONS


def test_the_preview_script_makes_the_same_files_again(tmp_path: Path) -> None:
    from scripts.make_look_previews import main

    assert main(["--out", str(tmp_path / "a")]) == 0
    assert main(["--out", str(tmp_path / "b")]) == 0
    first = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    assert len(first) == 1 + len(STYLES)
    assert first == {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert main(["--out", str(tmp_path / "a"), "--check"]) == 0
    (tmp_path / "a" / "anime.jpg").write_bytes(b"stale")
    assert main(["--out", str(tmp_path / "a"), "--check"]) == 1


def test_the_look_picker_shows_previews_and_when_to_use_each(
    env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_app(env, "ltx", "create")
    [chosen] = [h.value for h in at.get("html") if "data:image/jpeg;base64," in h.value]
    assert html.escape(looks.STYLE_DESCRIPTIONS[NO_STYLE]) in chosen
    data = chosen.split("base64,")[1].split('"')[0]
    assert base64.b64decode(data) == (looks.PREVIEWS / f"{NO_STYLE}.jpg").read_bytes()
    assert not at.image, "the grid of every look is drawn only while it is open"
    # Read once: later runs never go to the disk for them.
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"read {self}"))
    at.session_state[looks.open_key("create")] = True
    at.run()
    assert len(at.image) == 1 + len(STYLES), "one preview per look, and none"
    tile = next(b for b in at.button if b.key == "create_look_base")
    assert tile.proto.type == "primary", "the chosen look's tile stands out"
    at.button(key="create_look_film_noir").click().run()
    assert at.selectbox(key="create_style").value == "film_noir"
    assert not at.image, "a pick closes the grid"
    [chosen] = [h.value for h in at.get("html") if "data:image/jpeg;base64," in h.value]
    assert html.escape(looks.STYLE_DESCRIPTIONS["film_noir"]) in chosen
    assert not at.exception


def test_a_service_without_looks_draws_no_picker(env: AppEnv) -> None:
    at = open_app(env, "bfl", "create")
    assert not [b for b in at.button if str(b.key).startswith("create_look_")]
    assert "See all looks" not in everything_shown(at)
    assert not [h for h in at.get("html") if "data:image/jpeg" in h.value]
    assert "Look" not in {str(w.label) for w in widgets(at.main)}
