"""History's table: search and filters, the page picker, the table itself, and the caption
that follows the jobs this session started."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from components import connection, jobs_view, state
from components.advanced import model_name
from components.connection import Connection
from components.fmt import humanize_delta, local_tz
from kontextlab.history import KINDS, STATUSES
from kontextlab.links import browser_link
from kontextlab.providers import capabilities, names
from kontextlab.vocabulary import NO_STYLE

PAGE_SIZE = 50
TICK_SECONDS = 2.0
ROW_HEIGHT = 56
VISIBLE_ROWS = 10
NO_STYLE_LABEL = "none"  # how the table and the filter name "no look"
ORDERS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "prompt": "Prompt A–Z",
    "status": "Status",
    "expires": "Link expires soonest",
}


def style_label(style: str) -> str:
    return NO_STYLE_LABEL if style == NO_STYLE else style.replace("_", " ")


def service_label(provider: str) -> str:
    """A provider's name in words ("Black Forest Labs"); a name the app lacks, as it is."""
    return capabilities(provider).label if provider in names() else provider


def expires_label(expires: Any, lost: bool, now: datetime) -> str:
    if expires is None or pd.isna(expires):
        return "—"
    left = (expires - now).total_seconds()
    if lost:
        return "expired, cannot renew" if left <= 0 else "gone from server"
    return "expired" if left <= 0 else f"in {humanize_delta(left)}"


# ---------------------------------------------------------------- find


FILTER_KEYS = ("history_kinds", "history_statuses", "history_styles", "history_providers")
DATES_KEY = "history_dates"


def active_filters() -> int:
    """How many of the folded filters narrow the view now (search and sort are not counted)."""
    chosen = sum(bool(st.session_state.get(k)) for k in FILTER_KEYS)
    return chosen + (date_bounds(st.session_state.get(DATES_KEY, ())) != (None, None))


def filters_label() -> str:
    active = active_filters()
    return f"Filters ({active} active)" if active else "Filters"


def filters() -> tuple[dict[str, Any], str]:
    """Search, filters and sort order; returns (store filters, order). The filters fold into
    one expander, whose label says how many are in use."""
    search = st.text_input("Search prompts", key="history_search", placeholder="e.g. sunset fox")
    with st.expander(filters_label(), key="history_filters", icon=":material/filter_list:"):
        a, b, c = st.columns(3)
        s, d, e = st.columns(3)
        kinds = a.multiselect("Kind", KINDS, key="history_kinds", placeholder="All kinds")
        statuses = b.multiselect(
            "Status", STATUSES, key="history_statuses", placeholder="Any status"
        )
        styles = c.multiselect(
            "Style",
            [NO_STYLE, *capabilities().looks],
            key="history_styles",
            placeholder="Any style",
            format_func=style_label,
        )
        providers = s.multiselect(
            "Service",
            names(),
            key="history_providers",
            placeholder="Any service",
            format_func=service_label,
        )
        dates = d.date_input(
            "Created between",
            value=(),  # type: ignore[arg-type]  # () is a range with no dates yet; stubs want 1 or 2
            key=DATES_KEY,
            format="YYYY-MM-DD",
        )
        # Every option is a key of ORDERS, which holds its label.
        order = e.selectbox(
            "Sort", list(ORDERS), key="history_order", format_func=ORDERS.__getitem__
        )
    since, until = date_bounds(dates)
    batch = state.history_batch()  # a batch sent from Create or Edit ("Show in History")
    only = batch and st.toggle(f"Only this batch ({batch[:6]})", True, key=state.HISTORY_ONLY_BATCH)
    chosen = {
        "search": search.strip() or None,
        "kinds": kinds or None,
        "statuses": statuses or None,
        "styles": styles or None,
        "providers": providers or None,
        "since": since,
        "until": until,
        "batch": batch if only else None,
    }
    return chosen, order or "newest"


def date_bounds(dates: Any) -> tuple[datetime | None, datetime | None]:
    """Whole days in the viewer's time zone; the end day is included."""
    picked = [d for d in (dates if isinstance(dates, tuple | list) else [dates]) if d]
    if not picked:
        return None, None
    tz = local_tz()
    start: date = picked[0]
    since = datetime.combine(start, time.min, tzinfo=tz).astimezone(UTC)
    if len(picked) < 2:
        return since, None
    end: date = picked[1] + timedelta(days=1)
    return since, datetime.combine(end, time.min, tzinfo=tz).astimezone(UTC)


def pager(total: int, view: tuple[Any, ...], size: int | None = None) -> int:
    """The page picker for pages of `size` rows (PAGE_SIZE by default); returns the offset.
    A new search, filter or view starts at page 1."""
    key = "history_page"
    size = size or PAGE_SIZE
    pages = max(1, -(-total // size))
    if st.session_state.get("_history_view") != view:
        st.session_state["_history_view"] = view
        st.session_state[key] = 1
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = 1
    if pages == 1:
        return 0
    page = st.number_input(f"Page (of {pages:,})", 1, pages, key=key, step=1, width=200)
    return (int(page) - 1) * size


def counts(shown: int, offset: int, total: int, everything: int) -> None:
    if total == 0:
        st.info("No job matches this search. Clear a filter to see more.")
        return
    first, last = offset + 1, offset + shown
    if total == everything:
        st.caption(f"Showing {first:,}–{last:,} of {total:,} jobs.")
    else:
        st.caption(
            f"Showing {first:,}–{last:,} of {total:,} matching jobs ({everything:,} in all)."
        )


# ---------------------------------------------------------------- table


def _thumb_uris(conn: Connection, ids: list[str]) -> dict[str, str]:
    thumbs = connection.store().thumbnails(conn.account_key, ids)
    return {i: "data:image/jpeg;base64," + base64.b64encode(b).decode() for i, b in thumbs.items()}


def display_frame(conn: Connection, frame: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """The store's frame shaped for people: thumbnail, local times, 'expires in', live links."""
    uris = _thumb_uris(conn, frame["id"].tolist())
    lost = frame["link_lost"]
    expires = frame["url_expires_at"]
    urls = frame["asset_url"]
    valid = expires.notna() & (expires > now) & ~lost & urls.notna()
    return pd.DataFrame(
        {
            "picture": frame["id"].map(uris),
            "prompt": frame["prompt"],
            "kind": frame["kind"],
            "service": frame["provider"].map(service_label),
            "model": _models(frame),
            "style": frame["style"].fillna(NO_STYLE).map(style_label),
            "aspect ratio": _aspect_ratios(frame),
            "seed": frame["seed"],
            "batch": frame["batch_id"].str[:6],  # the jobs one click sent together
            "status": frame["status"],
            "created": frame["created_at"].dt.tz_convert(local_tz()),
            "expires": [expires_label(e, x, now) for e, x in zip(expires, lost, strict=True)],
            "link": [browser_link(u) if ok else None for u, ok in zip(urls, valid, strict=True)],
            "duration": frame["duration_s"].round(1),
        }
    )


def _aspect_ratios(frame: pd.DataFrame) -> pd.Series:
    # A request without a shape got the API's default.
    generated = frame["kind"].isin(["create", "edit"])
    return frame["aspect_ratio"].where(
        ~generated, frame["aspect_ratio"].fillna(capabilities().default_shape)
    )


def _models(frame: pd.DataFrame) -> list[str | None]:
    """Each row's model in words; a picture request that named none got its provider's
    default model (uploads and upscales name none)."""
    shown: list[str | None] = []
    for model, provider, kind in zip(frame["model"], frame["provider"], frame["kind"], strict=True):
        if (model is None or pd.isna(model)) and kind in ("create", "edit") and provider in names():
            model = capabilities(provider).default_model
        shown.append(None if model is None or pd.isna(model) else model_name(str(model)))
    return shown


COLUMNS = {
    "picture": st.column_config.ImageColumn("Picture", width="small"),
    "prompt": st.column_config.TextColumn("Prompt", width="medium"),
    "kind": st.column_config.TextColumn("Kind"),
    "service": st.column_config.TextColumn("Service"),
    "model": st.column_config.TextColumn("Model"),
    "style": st.column_config.TextColumn("Style"),
    "status": st.column_config.TextColumn("Status"),
    "aspect ratio": st.column_config.TextColumn("Aspect ratio"),
    "seed": st.column_config.NumberColumn("Seed", format="%d"),
    "batch": st.column_config.TextColumn("Batch", help="Pictures one click made together"),
    "created": st.column_config.DatetimeColumn("Created", format="D MMM YYYY, HH:mm"),
    "expires": st.column_config.TextColumn("Link expires"),
    "link": st.column_config.LinkColumn("Link", display_text="open"),
    "duration": st.column_config.NumberColumn("Duration", format="%.1f s"),
}


def table_key() -> str:
    # A new key gives a new, unselected table (a selection cannot be cleared by code).
    return f"history_table_{st.session_state.get('_history_table_gen', 0)}"


def reset_table() -> None:
    st.session_state["_history_table_gen"] = st.session_state.get("_history_table_gen", 0) + 1


def _follow_selection(key: str) -> None:
    """Follow the rows picked in the table: one opens its job, two are compared, more ask for
    two. Each row maps to the id shown when it was ticked (a job finishing meanwhile can
    shift the rows)."""
    selected = st.session_state.get(key) or {}
    rows = list((selected.get("selection") or {}).get("rows") or [])
    last_key, last_rows, last_ids = st.session_state.get("_history_selection", (None, [], []))
    if key != last_key:  # a new table: what was picked in the old one is gone
        last_rows, last_ids = [], []
    shown = st.session_state.get("_history_ids", [])
    before = dict(zip(last_rows, last_ids, strict=False))
    ids = [before.get(r) or shown[r] for r in rows if r in before or r < len(shown)]
    st.session_state["_history_selection"] = (key, rows, ids)
    if key != last_key or rows == last_rows:
        return
    state.open_job(ids[0] if len(ids) == 1 else None)


def picked() -> list[str]:
    """The row ids picked in the table, in the order of their rows."""
    return list(st.session_state.get("_history_selection", (None, [], []))[2])


def table(conn: Connection, frame: pd.DataFrame) -> None:
    key = table_key()
    _follow_selection(key)
    st.session_state["_history_ids"] = frame["id"].tolist()
    st.dataframe(
        display_frame(conn, frame, datetime.now(UTC)),
        column_config=COLUMNS,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        key=key,
        row_height=ROW_HEIGHT,
        placeholder="",
        height=min(len(frame), VISIBLE_ROWS) * ROW_HEIGHT + 40,
    )
    if not state.opened_job() and len(picked()) < 2:
        st.caption("Select a row to open the job. Select two to compare them.")


def watch_running(conn: Connection) -> None:
    """Rerun the page when a job this session follows lands (the table shows its status):
    one scoped query per tick, on the followed ids only."""
    jobs_view.seed_followed(conn)
    if not jobs_view.in_flight_rows(conn, None):
        return

    @st.fragment(run_every=TICK_SECONDS)
    def tick() -> None:
        rows = jobs_view.in_flight_rows(conn, None)
        if not rows:
            st.rerun()
        running = "1 job is" if len(rows) == 1 else f"{len(rows):,} jobs are"
        st.caption(f"{running} still running; this page updates when they finish.")

    tick()
