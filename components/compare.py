"""Before and after: side by side, and a slider that wipes from one to the other."""

from __future__ import annotations

import base64
import io

import streamlit as st
from PIL import Image, ImageOps

from components import connection, safe
from components.result_card import display_copy
from kontextlab.history import JobRecord

WIPE_WIDTH = 900

_WIPE_HTML = """
<div style="position:relative;max-width:100%;font-family:sans-serif">
  <img src="data:image/jpeg;base64,{after}" style="display:block;width:100%;border-radius:6px">
  <div id="before" style="position:absolute;inset:0;overflow:hidden;clip-path:inset(0 50% 0 0)">
    <img src="data:image/jpeg;base64,{before}"
         style="display:block;width:100%;height:100%;object-fit:cover;border-radius:6px">
  </div>
  <span style="position:absolute;left:8px;top:8px;background:#0009;color:#fff;
               padding:2px 8px;border-radius:4px;font-size:13px">Before</span>
  <span style="position:absolute;right:8px;top:8px;background:#0009;color:#fff;
               padding:2px 8px;border-radius:4px;font-size:13px">After</span>
</div>
<input id="wipe" type="range" min="0" max="100" value="50"
       aria-label="Wipe between before and after"
       style="width:100%;margin-top:8px">
<script>
  const wipe = document.getElementById("wipe");
  const before = document.getElementById("before");
  wipe.addEventListener("input", () => {{
    before.style.clipPath = `inset(0 ${{100 - wipe.value}}% 0 0)`;
  }});
</script>
"""


def _jpeg_b64(data: bytes, size: tuple[int, int]) -> str:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    # Crop to the result's shape rather than stretch, so the wipe lines up.
    image = ImageOps.fit(image, size) if image.size != size else image
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return base64.b64encode(out.getvalue()).decode()


def _wipe_html(before: bytes, after: bytes) -> tuple[str, int]:
    """The wipe widget's HTML, and the height it needs at full width."""
    after_image = Image.open(io.BytesIO(after))
    scale = min(1.0, WIPE_WIDTH / after_image.width)
    size = (int(after_image.width * scale), int(after_image.height * scale))
    html = _WIPE_HTML.format(before=_jpeg_b64(before, size), after=_jpeg_b64(after, size))
    return html, size[1] + 60


@st.cache_data(max_entries=16, show_spinner=False)
def wipe_html(account_key: str, before_id: str, after_id: str) -> tuple[str, int] | None:
    """The wipe of one pair of rows, built once: keyed by the row ids (cheap to hash), not by
    the pictures' bytes. None when either picture is missing or cannot be shown."""
    store = connection.store()
    before = store.image(before_id, account_key)
    after = store.image(after_id, account_key)
    if not (before and after and safe.can_show(before) and safe.can_show(after)):
        return None
    return _wipe_html(before, after)


def before_after(account_key: str, before: JobRecord, after: JobRecord) -> bool:
    """Side by side (display-sized copies) and a wipe. True when both full pictures were
    kept (a thumbnail alone is too small to compare)."""
    if not (before.has_image and after.has_image):
        return False
    store = connection.store()
    first = display_copy(store, before, large=True)
    second = display_copy(store, after, large=True)
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
        built = wipe_html(account_key, before.id, after.id)
        if built is None:
            st.caption(safe.BROKEN_PICTURE)
        else:
            st.iframe(built[0], height=built[1])
    return True
