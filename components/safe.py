"""Pictures and links from the history store, drawn so that a broken one never stops a page;
their captions (prompts: anyone's text) shown as plain text.

Stored bytes may be anything (an old import, a damaged download): they are checked with the
pixel limit before Streamlit decodes them, and a picture that cannot be shown becomes a short
sentence. An address is used only when it is a web address: Streamlit's `st.image` would read
a local path from the server's disk.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st

from kontextlab.untrusted import plain, readable_picture, web_url

BROKEN_PICTURE = "This picture could not be shown."
Width = int | Literal["stretch", "content"]


@st.cache_data(max_entries=256, show_spinner=False)
def can_show(data: bytes) -> bool:
    """True when the bytes decode as a picture within the pixel limit (remembered by content,
    so a page that reruns does not decode the same picture twice)."""
    return readable_picture(data)


def first_showable(*candidates: bytes | None) -> bytes | None:
    """The first picture that can be shown (e.g. the full image, else its thumbnail); when
    none can, the first there is, so that the page says it could not be shown."""
    present = [c for c in candidates if c]
    return next((c for c in present if can_show(c)), present[0] if present else None)


def picture(data: bytes | None, *, caption: str | None = None, width: Width = "content") -> bool:
    """Stored picture bytes, or a short sentence when they are not a picture. True if drawn."""
    if not data:
        return False
    if not can_show(data):
        st.caption(BROKEN_PICTURE)
        if caption:
            st.caption(plain(caption))
        return False
    st.image(data, caption=plain(caption) or None, width=width)
    return True


def web_picture(url: str | None, *, caption: str | None = None, width: Width = "content") -> bool:
    """A picture at a web address (the visitor's browser fetches it). True if drawn."""
    address = web_url(url)
    if address is None:
        return False
    st.image(address, caption=plain(caption) or None, width=width)
    return True
