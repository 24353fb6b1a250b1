"""Looks you can see: the look picker with a small preview of each look and a sentence on
when to use it.

The previews are files shipped beside this module (components/looks/<look>.jpg), drawn once
by the emulator's renderer with `scripts/make_look_previews.py`; they are read from disk once
per process and kept in memory."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from kontextlab.vocabulary import NO_STYLE

PREVIEWS = Path(__file__).resolve().parent / "looks"
PREVIEW_SUFFIX = ".jpg"
CHOSEN_WIDTH = 150  # the chosen look's preview beside its sentence
TILE_WIDTH = 104  # a look's tile in "See all looks": three fit side by side on a phone
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


def choose_look(prefix: str, style: str) -> None:
    """A tile's button: pick its look (a callback, so before the picker is drawn)."""
    st.session_state[f"{prefix}_style"] = style


def look_picker(prefix: str, styles: Sequence[str]) -> str:
    """The look: a list of names, the chosen look's preview and when to use it, and every
    look's preview in "See all looks" (a tile's button picks it)."""
    key = f"{prefix}_style"
    if st.session_state.get(key) not in styles:
        st.session_state[key] = styles[0]
    style: str = st.selectbox("Look", list(styles), key=key, format_func=look_name)
    row = st.container(horizontal=True, vertical_alignment="center", gap="medium")
    picture = preview(style)
    if picture:
        row.image(picture, width=CHOSEN_WIDTH)
    with row.container(width="stretch"):
        st.markdown(STYLE_DESCRIPTIONS.get(style, look_name(style)))
        with st.popover("See all looks", icon=":material/palette:"):
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
