"""In Chromium: text passed through `plain` shows literally in every kind of element the pages
use for anyone's text (Markdown, caption, alert, picture caption, progress text, toast): no
link, picture, bold, code, heading, list, table, colour, icon or formula appears.

The AppTests check that the pages pass prompts and messages through `plain`; this test checks
that Streamlit draws what `plain` makes as the literal text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

sys.path.insert(0, str(Path(__file__).parent / "browser"))
from browser_support import ROOT, AppServer as _AppServer, wait_idle

from kontextlab.untrusted import WORD_JOINER

pytestmark = pytest.mark.browser

CASES = [
    "[click](https://evil.example)",
    "![x](https://evil.example/a.png)",
    "<b>hi</b> <img src=x onerror=alert(1)>",
    ":red[alert] :material/home: :smile: :+1:",
    "$x$ and $$y$$",
    "# heading",
    "- item\n1. one\n> quote",
    "    four spaces: code?",
    "**bold** _it_ ~~strike~~ `code`",
    "https://evil.example www.evil.example me@evil.example",
    "a|b\n-|-\nc|d",
    "title\n===",
    "&lt; &amp; &#x41;",
    "C:\\new \\* back\\",
    "A red fox at golden hour, 16:9 (wide)!",
]
SCRIPT = """
import io, json
import streamlit as st
from PIL import Image
from kontextlab.untrusted import plain

cases = json.loads({cases!r})
buffer = io.BytesIO()
Image.new("RGB", (40, 20), "teal").save(buffer, "PNG")
for text in cases:
    with st.container(key=f"case_{{cases.index(text)}}"):
        st.markdown(plain(text))
        st.caption(plain(text))
        st.error(plain(text))
        st.image(buffer.getvalue(), caption=plain(text))
        st.progress(50, text=plain(text))
st.toast(plain(cases[0] + " " + cases[3]))
st.markdown("All drawn.")
"""
TEXT = "[data-testid=stMarkdownContainer], [data-testid=stCaptionContainer]"
# What Markdown would have made of the text: none of it may appear inside a text element.
MARKUP = "a, img, strong, em, code, pre, h1, h2, ul, ol, blockquote, table, del, hr, .katex, "
MARKUP += "[class*=Colored], [data-testid=stIconMaterial], [role=img]"


class ScriptServer(_AppServer):
    """`streamlit run` of a small script in the test's folder (the app's code importable)."""

    def start(self, timeout: float = 60.0) -> ScriptServer:
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(self.workdir / "cases.py"),
            "--server.headless=true",
            f"--server.port={self.port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_healthy(timeout)
        return self


@pytest.fixture(scope="module")
def page(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """One server and one browser page for every case: starting them is the slow part."""
    folder = tmp_path_factory.mktemp("markdown")
    (folder / "cases.py").write_text(SCRIPT.format(cases=json.dumps(CASES)))
    server = ScriptServer(folder, {**os.environ, "PYTHONPATH": str(ROOT)}).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url)
        expect(page.get_by_text("All drawn.")).to_be_visible(timeout=60_000)
        wait_idle(page, timeout=60_000)
        yield page
    finally:
        context.close()
        server.stop()


def literal(text: str) -> str:
    """The text as a browser lays it out: runs of white space become one space."""
    return " ".join(text.replace(WORD_JOINER, "").split())


@pytest.mark.parametrize("index", range(len(CASES)))
def test_text_made_plain_shows_literally_in_every_element(page: Page, index: int) -> None:
    case = page.locator(f".st-key-case_{index}")
    expected = literal(CASES[index])
    for testid in ("stMarkdown", "stCaptionContainer", "stAlert", "stImageCaption", "stProgress"):
        found = case.locator(f"[data-testid={testid}]").first
        assert literal(found.inner_text()) == expected, testid
    assert case.locator(TEXT).count() == 5
    assert case.locator(TEXT).locator(MARKUP).count() == 0, case.inner_html()


def test_a_toast_shows_literally(page: Page) -> None:
    toast = page.locator("[data-testid=stToast]")
    expect(toast).to_be_visible()
    assert literal(toast.inner_text()) == literal(CASES[0] + " " + CASES[3])
    assert toast.locator(MARKUP).count() == 0, toast.inner_html()
