"""Hostile input on the pages, driven by AppTest: a history file full of bad records."""

from __future__ import annotations

import json

from apptest_support import AppEnv, app_env  # noqa: F401
from streamlit.testing.v1 import AppTest

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
