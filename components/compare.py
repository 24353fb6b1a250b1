"""Two results side by side, and a slider that wipes from one to the other: an edit's before
and after (the Edit page), or any two of the visitor's results (two rows picked in History,
or "Compare with…" on a result card), with a word-level diff of their prompts and a table of
the settings that differ.

Every row is read within the visitor's scope (`conn.account_key`): an id of anyone else's
row shows nothing of it."""

from __future__ import annotations

import base64
import io
from html import escape
from typing import Any

import streamlit as st
from PIL import Image, ImageOps

from components import (
    connection,
    history_detail,
    history_table,
    jobs_view,
    result_card,
    safe,
    stored,
)
from components.advanced import model_name
from components.connection import Connection
from components.fmt import local_time, short
from kontextlab.history import HistoryStore, JobRecord
from kontextlab.jobs import UNKNOWN_HEADLINE
from kontextlab.links import browser_link
from kontextlab.textdiff import MAX_CHARS, WordDiff, diff
from kontextlab.untrusted import plain
from kontextlab.vocabulary import NO_STYLE, JobState

WIPE_WIDTH = 900
LABELS = ("A", "B")
PICK_TWO = "Pick two rows to compare them."
NOT_YOURS = "One of these results is no longer in your history, so they cannot be compared."
SAME_SETTINGS = "Same settings apart from the prompt."
RECENT = 20  # the results "Compare with…" offers
CARD_OPEN = "_compare_card"  # (card key, its row id, the chosen row id) of an open comparison

_WIPE_HTML = """
<div style="position:relative;max-width:100%;font-family:sans-serif">
  <img src="data:image/jpeg;base64,{right}" style="display:block;width:100%;border-radius:6px">
  <div id="left" style="position:absolute;inset:0;overflow:hidden;clip-path:inset(0 50% 0 0)">
    <img src="data:image/jpeg;base64,{left}"
         style="display:block;width:100%;height:100%;object-fit:cover;border-radius:6px">
  </div>
  <span style="position:absolute;left:8px;top:8px;background:#0009;color:#fff;
               padding:2px 8px;border-radius:4px;font-size:13px">{left_label}</span>
  <span style="position:absolute;right:8px;top:8px;background:#0009;color:#fff;
               padding:2px 8px;border-radius:4px;font-size:13px">{right_label}</span>
</div>
<input id="wipe" type="range" min="0" max="100" value="50"
       aria-label="Wipe between {left_label} and {right_label}"
       style="width:100%;margin-top:8px">
<script>
  const wipe = document.getElementById("wipe");
  const left = document.getElementById("left");
  wipe.addEventListener("input", () => {{
    left.style.clipPath = `inset(0 ${{100 - wipe.value}}% 0 0)`;
  }});
</script>
"""


# ---------------------------------------------------------------- the wipe


def _jpeg_b64(data: bytes, size: tuple[int, int]) -> str:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    # Crop to the right picture's shape rather than stretch, so the wipe lines up.
    image = ImageOps.fit(image, size) if image.size != size else image
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return base64.b64encode(out.getvalue()).decode()


def _wipe_html(left: bytes, right: bytes, labels: tuple[str, str]) -> tuple[str, int]:
    """The wipe widget's HTML, and the height it needs at full width."""
    right_image = Image.open(io.BytesIO(right))
    scale = min(1.0, WIPE_WIDTH / right_image.width)
    size = (int(right_image.width * scale), int(right_image.height * scale))
    html = _WIPE_HTML.format(
        left=_jpeg_b64(left, size),
        right=_jpeg_b64(right, size),
        left_label=escape(labels[0]),
        right_label=escape(labels[1]),
    )
    return html, size[1] + 60


def _wipe_source(store: HistoryStore, rid: str, account_key: str) -> bytes | None:
    """The full picture, else the display-sized copy (a full one may have been dropped)."""
    for data in (store.image(rid, account_key), store.preview(rid, account_key)):
        if data and safe.can_show(data):
            return data
    return None


@st.cache_data(max_entries=16, show_spinner=False)
def wipe_html(
    account_key: str, left_id: str, right_id: str, labels: tuple[str, str] = ("Before", "After")
) -> tuple[str, int] | None:
    """The wipe of one pair of rows, built once: keyed by the row ids (cheap to hash), not by
    the pictures' bytes. None when either picture is missing or cannot be shown."""
    store = connection.store()
    left = _wipe_source(store, left_id, account_key)
    right = _wipe_source(store, right_id, account_key)
    if not (left and right):
        return None
    return _wipe_html(left, right, labels)


def _shape(record: JobRecord) -> float | None:
    return record.width / record.height if record.width and record.height else None


def _show_wipe(
    account_key: str, left: JobRecord, right: JobRecord, labels: tuple[str, str]
) -> None:
    built = wipe_html(account_key, left.id, right.id, labels)
    if built is None:
        st.caption(safe.BROKEN_PICTURE)
        return
    st.iframe(built[0], height=built[1])
    if _shape(left) and _shape(right) and _shape(left) != _shape(right):
        st.caption(f"{labels[0]} is cropped to {labels[1]}'s shape for the wipe.")


def before_after(account_key: str, before: JobRecord, after: JobRecord) -> bool:
    """Side by side (display-sized copies) and a wipe. True when both full pictures were
    kept (a thumbnail alone is too small to compare)."""
    if not (before.has_image and after.has_image):
        return False
    store = connection.store()
    first = result_card.display_copy(store, before, large=True)
    second = result_card.display_copy(store, after, large=True)
    if not first or not second:
        return False
    st.subheader("Before and after")
    if not (safe.can_show(first) and safe.can_show(second)):
        st.caption(safe.BROKEN_PICTURE)
        return True
    side, wipe = st.tabs(["Side by side", "Wipe"])
    with side:
        left, right = st.columns(2)
        left.image(first, caption="Before", width="stretch")
        right.image(second, caption="After", width="stretch")
    with wipe:
        _show_wipe(account_key, before, after, ("Before", "After"))
    return True


# ---------------------------------------------------------------- any two results


def _picture(store: HistoryStore, record: JobRecord) -> bytes | None:
    """The picture a comparison shows of a row: its display copy, when it has one."""
    if record.status != JobState.COMPLETED or not (record.has_image or record.has_thumbnail):
        return None
    return result_card.display_copy(store, record, large=True)


def _no_picture(label: str, record: JobRecord) -> None:
    """A sentence in place of a picture: why this row has none to show."""
    if record.status == JobState.FAILED:
        st.error(f"{label} failed: {plain(record.message or 'The job failed.')}")
    elif record.status == JobState.UNKNOWN:
        st.warning(f"{label}: {UNKNOWN_HEADLINE}")
    elif record.is_active:
        st.info(f"{label} is still being made.")
    elif record.link_valid() and (url := browser_link(record.asset_url)):
        safe.web_picture(url, caption=label, width="stretch")
    else:
        st.info(f"No picture was kept for {label}.")


def _one(label: str, record: JobRecord, picture: bytes | None) -> None:
    caption = f"{label} · {record.kind} · {local_time(record.created_at)}"
    if picture:
        safe.picture(picture, caption=caption, width="stretch")
        return
    st.markdown(f"**{plain(caption)}**")
    _no_picture(label, record)


def _pictures(conn: Connection, a: JobRecord, b: JobRecord) -> None:
    store = connection.store()
    pictures = [_picture(store, a), _picture(store, b)]
    if not all(p and safe.can_show(p) for p in pictures):
        _side_by_side(a, b, pictures)  # no wipe without two pictures
        return
    side, wipe = st.tabs(["Side by side", "Wipe"])
    with side:
        _side_by_side(a, b, pictures)
    with wipe:
        _show_wipe(conn.account_key, a, b, LABELS)


def _side_by_side(a: JobRecord, b: JobRecord, pictures: list[bytes | None]) -> None:
    for column, label, record, picture in zip(st.columns(2), LABELS, (a, b), pictures, strict=True):
        with column:
            _one(label, record, picture)


# Colours stay readable on the light and the dark theme; strike and underline say the same
# without colour.
_REMOVED = "color:#9b1c1c;background:#fde2e1;text-decoration:line-through"
_ADDED = "color:#0b5a2a;background:#dcf5e4;text-decoration:underline"
# Each run of words is isolated: a right-to-left override in a prompt reorders its own run,
# never the page around it.
_RUN = "unicode-bidi:isolate;border-radius:3px;padding:0 2px"


def diff_html(result: WordDiff) -> str:
    """The prompts' diff as HTML: removed words struck in red (<del>), added words underlined
    in green (<ins>), every word escaped (prompts are anyone's text)."""
    parts = []
    for segment in result.segments:
        text = escape(segment.text)
        if segment.change == "removed":
            parts.append(f'<del data-change="removed" style="{_RUN};{_REMOVED}">{text}</del>')
        elif segment.change == "added":
            parts.append(f'<ins data-change="added" style="{_RUN};{_ADDED}">{text}</ins>')
        else:
            parts.append(f'<span style="unicode-bidi:isolate">{text}</span>')
    box = "overflow-wrap:anywhere;max-height:18em;overflow-y:auto;line-height:1.7"
    return f'<div data-testid="prompt-diff" style="{box}">{" ".join(parts)}</div>'


def _prompts(a: JobRecord, b: JobRecord) -> None:
    st.markdown("**Prompt**")
    result = diff(a.prompt, b.prompt)
    if not result.segments:
        st.caption("Neither has a prompt.")
        return
    st.html(diff_html(result))
    if result.identical:
        st.caption("Both have the same prompt.")
    else:
        st.caption("Struck through in red: only in A's prompt. Underlined in green: only in B's.")
    if result.truncated:
        st.caption(f"Only the first {MAX_CHARS:,} characters of each prompt are compared.")


# The settings a comparison reads itself (the rest of a row's fields are listed by label).
_OWN = {"prompt", "model", "style", "seed", "aspect_ratio"}


def settings_of(conn: Connection, record: JobRecord) -> dict[str, str]:
    """A row's settings by label, without its prompt: its kind, service, model, look and
    seed, then its request's fields (by seam name, through its provider's rules)."""
    fields = conn.visible_fields(jobs_view.chosen_settings(record))
    caps = stored.capabilities_of(record)
    picture = record.kind in ("create", "edit")
    model = fields.get("model") or record.model or (caps.default_model if picture else None)
    style = fields.get("style") or record.style
    values: dict[str, Any] = {
        "Kind": record.kind,
        "Service": history_table.service_label(record.provider),
        "Model": model_name(str(model)) if model else None,
        "Look": history_table.style_label(str(style or NO_STYLE)) if picture or style else None,
        "Seed": record.seed,
        "Aspect ratio": fields.get("aspect_ratio")
        or record.aspect_ratio
        or (caps.default_shape if picture else None),
    }
    for name, value in fields.items():
        label = caps.spec(name).short or history_detail.PARAMETERS.get(name)
        if name not in _OWN and label and label not in values:
            values[label] = value
    return {k: str(v) for k, v in values.items() if v is not None and v != ""}


def differing_settings(conn: Connection, a: JobRecord, b: JobRecord) -> list[tuple[str, str, str]]:
    """(setting, A's value, B's value) of each setting the two rows do not share."""
    first, second = settings_of(conn, a), settings_of(conn, b)
    labels = [*first, *(k for k in second if k not in first)]
    rows = [(k, first.get(k, "—"), second.get(k, "—")) for k in labels]
    return [row for row in rows if row[1] != row[2]]


def settings_table(rows: list[tuple[str, str, str]]) -> str:
    """An HTML table of the differing settings; long values wrap on a phone."""
    cell = "padding:4px 8px;border-bottom:1px solid #e6e3f0;vertical-align:top;text-align:left"
    head = "".join(f'<th style="{cell}">{h}</th>' for h in ("Setting", *LABELS))
    body = "".join(
        f'<tr><th style="{cell};white-space:nowrap">{escape(k)}</th>'
        f'<td style="{cell};overflow-wrap:anywhere">{escape(x)}</td>'
        f'<td style="{cell};overflow-wrap:anywhere">{escape(y)}</td></tr>'
        for k, x, y in rows
    )
    return (
        '<table data-testid="settings-diff" style="width:100%;border-collapse:collapse;'
        f'font-size:0.9rem"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _settings(conn: Connection, a: JobRecord, b: JobRecord) -> None:
    st.markdown("**Settings that differ**")
    rows = differing_settings(conn, a, b)
    if rows:
        st.html(settings_table(rows))
    else:
        st.caption(SAME_SETTINGS)


def comparison(conn: Connection, first: JobRecord, second: JobRecord) -> None:
    """Two of the visitor's rows: A the older, B the newer."""
    a, b = sorted((first, second), key=lambda r: (r.created_at, r.id))
    st.caption("A is the older of the two, B the newer.")
    _pictures(conn, a, b)
    _prompts(a, b)
    _settings(conn, a, b)


def _scoped(conn: Connection, ids: list[str]) -> list[JobRecord] | None:
    """The rows of these ids in the visitor's own history; None when any is not there."""
    store = connection.store()
    records = [store.get(rid, conn.account_key) for rid in ids]
    found = [r for r in records if r is not None]
    return found if len(found) == len(ids) else None


# ---------------------------------------------------------------- History: two rows


def compare_picked_rows(conn: Connection) -> None:
    """The comparison of the two rows picked in History's table (a sentence for three or
    more; nothing for fewer than two: one row opens its details)."""
    picked = history_table.picked()
    if len(picked) < 2:
        return
    if len(picked) > 2:
        st.info(PICK_TWO, icon=":material/compare:")
        return
    head, close = st.columns([5, 1], vertical_alignment="bottom")
    head.subheader("Comparing two results", divider="gray")
    close.button(
        "Close",
        key="history_compare_close",
        on_click=history_table.reset_table,
        icon=":material/close:",
    )
    records = _scoped(conn, picked)
    if records is None:
        st.info(NOT_YOURS)
        return
    comparison(conn, records[0], records[1])


# ---------------------------------------------------------------- a card: "Compare with…"


@st.cache_data(ttl=3, max_entries=64, show_spinner=False)
def recent_choices(account_key: str) -> list[tuple[str, str]]:
    """(row id, label) of the scope's newest finished or failed results. Kept a few seconds:
    every card of a page asks on every tick of the results panel."""
    rows = connection.store().list(
        account_key, limit=RECENT + 1, statuses=[JobState.COMPLETED, JobState.FAILED]
    )
    return [(r.id, _choice_label(r)) for r in rows]


def _choice_label(record: JobRecord) -> str:
    prompt = short(" ".join(record.prompt.split()), 50) or record.kind
    seed = f" · seed {record.seed}" if record.seed is not None else ""
    failed = " · failed" if record.status == JobState.FAILED else ""
    return f"{prompt}{seed}{failed}"


def _chosen(card: str, record_id: str, pick: str) -> None:
    chosen = st.session_state.get(pick)
    st.session_state[pick] = None  # the picker is empty again when the comparison closes
    st.session_state[f"{card}_compare_open"] = False  # the popover closes: the dialog opens
    if chosen:
        st.session_state[CARD_OPEN] = (card, record_id, str(chosen))


def _closed() -> None:
    st.session_state.pop(CARD_OPEN, None)


@st.dialog("Compare", width="large", on_dismiss=_closed)
def _dialog(conn: Connection, first_id: str, second_id: str) -> None:
    records = _scoped(conn, [first_id, second_id])
    if records is None:
        st.info(NOT_YOURS)
        return
    comparison(conn, records[0], records[1])


def compare_with(conn: Connection, record: JobRecord, card: str, where: Any) -> None:
    """A card's "Compare with…": a popover (drawn in `where`) with a picker of the visitor's
    other recent results; the chosen one opens beside this one in a dialog."""
    popover = where.popover(
        "Compare with…", icon=":material/compare:", key=f"{card}_compare_open", on_change="rerun"
    )
    if popover.open:  # the list is read only while the popover is open
        choices = dict(recent_choices(conn.account_key))
        choices.pop(record.id, None)
        with popover:
            if not choices:
                st.caption("There is no other result to compare with yet.")
            st.selectbox(
                "Compare with",
                list(choices)[:RECENT],
                index=None,
                key=f"{card}_compare",
                format_func=lambda rid: choices.get(rid, rid),
                placeholder="Pick one of your results",
                on_change=_chosen,
                args=(card, record.id, f"{card}_compare"),
                disabled=not choices,
            )
    opened = st.session_state.get(CARD_OPEN)
    if opened and opened[0] == card and opened[1] == record.id:
        _dialog(conn, opened[1], opened[2])
