"""History as pictures: the Table | Gallery switch, the gallery's pages, filters and tiles, and
the filters folded into one expander (AppTest, rows seeded in the store as the runner writes
them)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from apptest_support import AppEnv, app_env, texts  # noqa: F401
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import history_gallery, state
from kontextlab.accounts import account_key, account_secret
from kontextlab.history import HistoryStore
from kontextlab.visitors import Mode, scope_for

HISTORY = "pages/history.py"
STRANGER = "apptest-visitor-9999"


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 36), colour).save(out, "JPEG")
    return out.getvalue()


class Seeder:
    """Rows written one second apart (so "newest first" is unambiguous), as the runner
    leaves them: a finished job has its thumbnail, a full image and a large request body."""

    def __init__(self, env: AppEnv) -> None:
        self.moment = datetime.now(UTC) - timedelta(hours=1)
        self.store = HistoryStore(env.db_url, clock=self.tick)
        self.followed: list[str] = []  # rows "another process" follows, ended at teardown

    def tick(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment

    def job(self, key: str, prompt: str, status: str = "completed", kind: str = "create") -> str:
        rid = self.store.add_job(
            account_key=key,
            kind=kind,
            request={"prompt": prompt, "padding": "x" * 5000},
            summary={"prompt": prompt},
        )
        if status == "completed":
            self.store.update_job(
                rid, status=status, thumbnail=jpeg((200, 30, 30)), image=jpeg((0, 0, 200))
            )
        else:
            self.store.update_job(rid, status=status, progress=40.0)
        if status == "active":  # another process follows it: this app's sweep leaves it be
            assert self.store.claim(rid, "another-process", ttl=3600)
            self.followed.append(rid)
        return rid


@pytest.fixture
def seeder(app_env: AppEnv) -> Iterator[Seeder]:
    seeded = Seeder(app_env)
    yield seeded
    for rid in seeded.followed:  # the other process ends its jobs
        seeded.store.update_job(rid, status="failed")
        seeded.store.release(rid, "another-process")
    seeded.store.close()


def stranger_key(env: AppEnv) -> str:
    return scope_for(account_key(env.token), Mode.DEPLOYER, STRANGER, account_secret()).key


def to_gallery(at: AppTest) -> None:
    at.segmented_control(key=history_gallery.VIEW_KEY).set_value(history_gallery.GALLERY).run()


def tiles(at: AppTest) -> list[str]:
    """The row ids of the gallery's tiles, in the order they are drawn."""
    prefix = "history_tile_open_"
    return [str(b.key)[len(prefix) :] for b in at.button if str(b.key).startswith(prefix)]


def table_prompts(at: AppTest) -> set[str]:
    return set(at.dataframe[0].value["prompt"])


def test_the_gallery_shows_this_visitors_pictures_newest_first_in_pages(
    app_env: AppEnv, seeder: Seeder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_gallery, "PAGE_SIZE", 2)
    mine = [seeder.job(app_env.key, f"Mine {n}") for n in range(5)]
    theirs = [seeder.job(stranger_key(app_env), f"Theirs {n}") for n in range(3)]
    at = app_env.app(HISTORY)
    assert at.dataframe, "the table is the first view"
    to_gallery(at)
    assert not at.dataframe and not at.exception
    assert tiles(at) == [mine[4], mine[3]], "newest first, one page"
    assert len(at.image) == 2, "each tile shows its picture"
    assert "Showing 1–2 of 5 jobs." in texts(at)
    assert {"Mine 4", "Mine 3"} <= set(texts(at).splitlines())
    pages = [tiles(at)]
    for number in (2, 3):
        at.number_input(key="history_page").set_value(number).run()
        pages.append(tiles(at))
    assert pages == [[mine[4], mine[3]], [mine[2], mine[1]], [mine[0]]]
    assert "Showing 5–5 of 5 jobs." in texts(at)
    assert not set(theirs) & {t for p in pages for t in p}
    assert "Theirs" not in texts(at)


def test_the_choice_of_view_is_kept_for_the_session(app_env: AppEnv, seeder: Seeder) -> None:
    seeder.job(app_env.key, "A kept view")
    at = app_env.app(HISTORY)
    to_gallery(at)
    at.switch_page("pages/create.py").run()
    at.switch_page(HISTORY).run()
    assert at.segmented_control(key=history_gallery.VIEW_KEY).value == history_gallery.GALLERY
    assert tiles(at) and not at.dataframe


def test_filters_narrow_the_gallery_as_they_narrow_the_table(
    app_env: AppEnv, seeder: Seeder
) -> None:
    seeder.job(app_env.key, "A red fox")
    failed = seeder.job(app_env.key, "A red balloon", status="failed")
    running = seeder.job(app_env.key, "A red kite", status="active")
    seeder.job(app_env.key, "A blue whale")
    seeder.job(app_env.key, "An old red barn", kind="edit")
    at = app_env.app(HISTORY)
    for key, value in (
        ("history_search", "red"),
        ("history_statuses", ["failed", "active"]),
        ("history_kinds", ["edit"]),
    ):
        at.session_state[key] = value
        at.segmented_control(key=history_gallery.VIEW_KEY).set_value(history_gallery.TABLE).run()
        in_table = table_prompts(at)
        to_gallery(at)
        records = app_env.store.records(app_env.key, tiles(at))
        assert {r.prompt for r in records.values()} == in_table, key
        at.session_state[key] = [] if isinstance(value, list) else ""
    at.session_state["history_statuses"] = ["failed", "active"]
    at.run()
    assert tiles(at) == [running, failed]
    shown = texts(at)
    assert "Failed" in shown and "Generating 40%" in shown, "a plain box says the state"
    assert not at.image, "a job without a picture shows none"


def test_a_tile_opens_the_same_detail_as_a_row(app_env: AppEnv, seeder: Seeder) -> None:
    fox = seeder.job(app_env.key, "A red fox at golden hour")
    seeder.job(app_env.key, "Something else")
    at = app_env.app(HISTORY)
    to_gallery(at)
    at.button(key=f"history_tile_open_{fox}").click().run()
    assert at.session_state[state.HISTORY_OPEN] == fox
    assert "Create · completed" in [h.value for h in at.subheader]
    assert at.button(key=f"history_tile_open_{fox}").label == "Shown below"
    assert any(b.label == "Re-run" for b in at.button), "the detail's actions are there"
    at.segmented_control(key=history_gallery.VIEW_KEY).set_value(history_gallery.TABLE).run()
    assert "Create · completed" in [h.value for h in at.subheader], "the same job stays open"


def test_a_gallery_page_reads_thumbnails_only(app_env: AppEnv, seeder: Seeder) -> None:
    """No full image, no preview and no request body is read to draw the gallery."""
    for n in range(3):
        seeder.job(app_env.key, f"Picture {n}")
    at = app_env.app(HISTORY)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        to_gallery(at)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert len(tiles(at)) == 3 and len(at.image) == 3
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    blob_reads = [s for s in reads if "kontextlab_job_blobs" in s]
    assert blob_reads, "the thumbnails are read from the store"
    for statement in blob_reads:
        assert ".image" not in statement and ".preview" not in statement, statement
    page_reads = [s for s in reads if "LIMIT" in s.upper()]
    assert page_reads, "a page of rows is read"
    for statement in page_reads:
        assert "request_json" not in statement, statement


def test_the_filters_fold_into_one_expander_that_counts_them(
    app_env: AppEnv, seeder: Seeder
) -> None:
    seeder.job(app_env.key, "A red fox")
    at = app_env.app(HISTORY)
    folded = [e for e in at.expander if str(e.label).startswith("Filters")]
    assert len(folded) == 1 and folded[0].label == "Filters"
    inside = folded[0]
    assert {m.key for m in inside.multiselect} == {
        "history_kinds",
        "history_statuses",
        "history_styles",
        "history_providers",
    }
    assert [d.key for d in inside.date_input] == ["history_dates"]
    assert [s.key for s in inside.selectbox] == ["history_order"]
    at.session_state["history_kinds"] = ["create"]
    at.session_state["history_statuses"] = ["completed"]
    at.run()
    assert [e.label for e in at.expander if str(e.label).startswith("Filters")] == [
        "Filters (2 active)"
    ]
