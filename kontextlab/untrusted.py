"""Checks for what strangers hand the app: text shown on a page, web addresses, pictures.

Plain Python (no Streamlit), so the import of a history file and the pages share one set of
rules. Every function here takes anything and never raises on bad input.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from kontextlab.images import MAX_PIXELS, THUMBNAIL_SIZE, flatten

# Pictures the app shows or keeps: what the API returns and what the app makes itself.
PICTURE_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
URL_LIMIT = 4096


# ASCII punctuation that means something to Streamlit's Markdown somewhere: CommonMark and
# GitHub's extensions (links, images, emphasis, code, HTML, entities, lists, headings,
# tables, strikethrough, bare links), KaTeX ($), colour and other directives (:red[...]),
# icons (:material/...:). CommonMark lets a backslash escape any ASCII punctuation; only
# , ; ? " ' % are left alone: they never start anything.
_MARKDOWN_SPECIAL = re.compile(r"""([\\`*_{}\[\]()<>#+\-.!|~$:&@=/^])""")
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)
# Streamlit turns bare addresses into links after the Markdown is parsed, escapes or not
# ("https://…", "www.…", "name@host.org"). An invisible word joiner inside each keeps them text.
WORD_JOINER = "\u2060"
_BARE_LINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)


def plain(text: Any) -> str:
    """`text` as Streamlit Markdown that shows exactly these characters, and nothing else:
    no link, picture, formatting, colour, icon or formula a stranger could slip in.

    Leading spaces of a line are dropped (four of them would start a code block); a page
    collapses them anyway. Bare web and mail addresses get an invisible word joiner."""
    if text is None:
        return ""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n")
    unlinked = _BARE_LINK.sub(WORD_JOINER, lines)
    return _LEADING_SPACE.sub("", _MARKDOWN_SPECIAL.sub(r"\\\1", unlinked))


def web_url(value: Any) -> str | None:
    """An absolute http(s) address, or None (javascript:, data:, file:, paths, relative)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > URL_LIMIT or any(c.isspace() or ord(c) < 32 for c in text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port  # raises for a port that is not a number
    except ValueError:  # e.g. an unclosed IPv6 bracket, or a port that is not a number
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return text


def open_picture(data: Any) -> Image.Image | None:
    """The decoded picture, or None when `data` is not one the app shows: not bytes, not a
    PNG/JPEG/WebP/GIF, damaged, or more than MAX_PIXELS (a decompression bomb: a few
    kilobytes that unpack into gigabytes)."""
    if not isinstance(data, bytes | bytearray) or not data:
        return None
    try:
        image = Image.open(io.BytesIO(data), formats=sorted(PICTURE_FORMATS))
        if image.width * image.height > MAX_PIXELS:
            return None
        image.load()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,  # raised when warnings are turned into errors
        OSError,
        SyntaxError,
        ValueError,
        TypeError,
        EOFError,
        MemoryError,
    ):
        return None
    return image


def readable_picture(data: Any) -> bool:
    """True when `data` decodes as a picture the app shows (see `open_picture`)."""
    return open_picture(data) is not None


def small_jpeg(data: Any) -> bytes | None:
    """`data` decoded and drawn again as a small JPEG, or None when it is not a picture.
    Re-encoding keeps the pixels and nothing else a file may carry."""
    image = open_picture(data)
    if image is None:
        return None
    try:
        small = flatten(image)  # transparent areas on white
        small.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        small.save(out, format="JPEG", quality=82)
    except (OSError, ValueError, TypeError, MemoryError):
        return None
    return out.getvalue()
