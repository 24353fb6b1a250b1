"""Looks you can see: the look picker with a small preview of each look and a sentence on
when to use it.

The previews are files shipped beside this module (components/looks/<look>.jpg), drawn once
by the emulator's renderer with `scripts/make_look_previews.py`; they are read from disk once
per process and kept in memory. The chosen look's preview is drawn inline (a few kilobytes);
the grid of every look is drawn only while "See all looks" is open."""

from __future__ import annotations

import base64
import functools
import html
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from kontextlab.vocabulary import NO_STYLE

PREVIEWS = Path(__file__).resolve().parent / "looks"
PREVIEW_SUFFIX = ".jpg"
CHOSEN_WIDTH = 150  # the chosen look's preview beside its sentence
TILE_WIDTH = 96  # a look's tile in "See all looks": three fit side by side on a phone
# When to use each look, in one sentence.
STYLE_DESCRIPTIONS = {
    NO_STYLE: "Use it when you want the model's own look, with no style added.",
    "cinematic": "For a still from a film: rich contrast and graded colour.",
    "vintage": "For a nostalgic, old-photo feel: faded colours and warm tones.",
    "low_key": "For moody, mysterious scenes: mostly dark, with deep shadows.",
    "indy": "For a quiet indie-film feel: natural light and muted colours.",
    "y2k": "For glossy, playful early-2000s pop: bright and saturated.",
    "pop": "For posters and bold graphics: flat, punchy pop-art colours.",
    "grunge": "For gritty, rough scenes: dirty textures and washed-out colour.",
    "dreamy": "For soft, romantic or fairy-tale pictures: pastel haze and glow.",
    "hand_drawn": "When it should look sketched by hand in pencil or ink.",
    "2d_novel": "For comic or graphic-novel panels with clean outlines.",
    "boost": "When the picture should pop: extra vivid colour and sharpness.",
    "scribble": "For loose, playful doodles in scribbled lines.",
    "film_noir": "For drama and mystery: black and white, with hard light.",
    "anime": "For characters and scenes in the style of Japanese animation.",
    "3d_cartoon": "For friendly, rounded 3D-cartoon characters and sets.",
    "colored": "For rich illustrations that look coloured by hand.",
}
NAMES = {NO_STYLE: "None", "y2k": "Y2K", "2d_novel": "2D novel", "3d_cartoon": "3D cartoon"}


def look_name(style: str) -> str:
    """A look's name in words ("Film noir", "3D cartoon"; "None" for no look)."""
    return NAMES.get(style) or style.replace("_", " ").capitalize()


@functools.cache
def previews() -> dict[str, bytes]:
    """Every shipped preview by look, read from disk once per process."""
    if not PREVIEWS.is_dir():
        return {}
    return {p.stem: p.read_bytes() for p in sorted(PREVIEWS.glob(f"*{PREVIEW_SUFFIX}"))}


def preview(style: str) -> bytes | None:
    return previews().get(style)


def open_key(prefix: str) -> str:
    """The "See all looks" popover's state (open or closed)."""
    return f"{prefix}_looks_open"


def choose_look(prefix: str, style: str) -> None:
    """A tile's button: pick its look and close the grid (a callback, so before the picker
    is drawn)."""
    st.session_state[f"{prefix}_style"] = style
    st.session_state[open_key(prefix)] = False


def chosen_html(style: str) -> str:
    """The chosen look's preview beside the sentence on when to use it."""
    sentence = html.escape(STYLE_DESCRIPTIONS.get(style, look_name(style)))
    picture = preview(style)
    if not picture:
        return f"<p>{sentence}</p>"
    source = f"data:image/jpeg;base64,{base64.b64encode(picture).decode()}"
    return (
        '<div style="display:flex;gap:0.75rem;align-items:center">'
        f'<img src="{source}" alt="{html.escape(look_name(style))}" width="{CHOSEN_WIDTH}" '
        'style="border-radius:0.4rem;flex:none;max-width:45%;height:auto">'
        f'<span style="font-size:0.95rem">{sentence}</span></div>'
    )


def look_picker(prefix: str, styles: Sequence[str]) -> str:
    """The look: a list of names, the chosen look's preview and when to use it, and every
    look's preview in "See all looks" (a tile's button picks it)."""
    key = f"{prefix}_style"
    if st.session_state.get(key) not in styles:
        st.session_state[key] = styles[0]
    style: str = st.selectbox("Look", list(styles), key=key, format_func=look_name)
    st.html(chosen_html(style))
    grid = st.popover(
        "See all looks", icon=":material/palette:", key=open_key(prefix), on_change="rerun"
    )
    if grid.open:  # drawn only while open: seventeen pictures stay off every other run
        with grid:
            _tiles(prefix, styles, style)
    return style


def _tiles(prefix: str, styles: Sequence[str], chosen: str) -> None:
    grid = st.container(horizontal=True, gap="small")
    for style in styles:
        tile = grid.container(width=TILE_WIDTH, gap="small")
        picture = preview(style)
        if picture:
            tile.image(picture, width="stretch")
        tile.button(
            look_name(style),
            key=f"{prefix}_look_{style}",
            help=STYLE_DESCRIPTIONS.get(style),
            type="primary" if style == chosen else "secondary",
            width="stretch",
            on_click=choose_look,
            args=(prefix, style),
        )
