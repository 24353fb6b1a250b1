"""The demo renderer follows the prompt: subjects, colours, time and weather; edits apply
their words to the picture they edit."""

from __future__ import annotations

import io
from itertools import combinations

import numpy as np
import pytest
from PIL import Image

from kontextlab.emulator import edits
from kontextlab.emulator.reading import read
from kontextlab.emulator.renderer import render_create, render_edit, seed_rng, size_for
from kontextlab.emulator.scenery import backdrop
from kontextlab.emulator.styles import LUMA, to_array, to_image
from kontextlab.emulator.subjects import SHAPES, arrange, draw_subjects, place_for, time_for

CAR_NOON = "A bright red sports car in the desert at noon"
CAR_NIGHT = "A bright red sports car in the desert at night"


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32) / 255


def luminance(a: np.ndarray) -> float:
    return float((a @ LUMA).mean())


def drawn(prompt: str, size: tuple[int, int] = (336, 192)) -> tuple[np.ndarray, np.ndarray, list]:
    """The backdrop alone and with the prompt's subjects drawn on it (same seed), and where."""
    reading = read(prompt)
    a, layout = backdrop(
        size, place_for(reading), time_for(reading), reading.weather, reading.season, None,
        seed_rng("test", prompt), 1,
    )  # fmt: skip
    placed = arrange(reading, layout, size, seed_rng("place", prompt))
    with_subjects = to_array(draw_subjects(to_image(a), placed, layout, "", seed_rng("d")))
    return to_array(to_image(a)), with_subjects, placed


def test_the_vocabulary_has_at_least_forty_drawable_nouns() -> None:
    assert len(SHAPES) >= 40


@pytest.mark.parametrize("noun", sorted(SHAPES))
def test_each_noun_draws_a_subject_in_its_region(noun: str) -> None:
    bare, with_subject, placed = drawn(f"a {noun}")
    assert [p.wanted.key for p in placed] == [noun]
    x, y, w, h = (round(v) for v in placed[0].box)
    region = np.s_[max(y, 0) : y + h, max(x, 0) : x + w]
    changed = (np.abs(with_subject[region] - bare[region]).sum(axis=2) > 0.1).mean()
    assert changed > 0.12, f"{noun}: only {changed:.0%} of its box is drawn"
    assert w * h > 0.03 * 336 * 192, f"{noun} is too small to see"


def test_subjects_have_shapes_of_their_own() -> None:
    """No two nouns share a silhouette (a copy-pasted drawing would)."""
    masks, looks = {}, {}
    for noun in SHAPES:
        bare, with_subject, placed = drawn(f"a {noun}", (256, 256))
        x, y, w, h = (round(v) for v in placed[0].box)
        box = np.s_[max(y, 0) : y + h, max(x, 0) : x + w]
        diff = np.abs(with_subject - bare).sum(axis=2)[box] > 0.1
        masks[noun] = np.asarray(Image.fromarray(diff).resize((32, 32)), dtype=bool)
        looks[noun] = to_array(to_image(with_subject[box]).resize((24, 24)))

    def same_outline(a: str, b: str) -> bool:
        return (masks[a] & masks[b]).sum() / max(1, (masks[a] | masks[b]).sum()) > 0.9

    alike = [
        (a, b)
        for a, b in combinations(masks, 2)
        if same_outline(a, b) and np.abs(looks[a] - looks[b]).mean() < 0.06
    ]
    assert alike == []


def test_synonyms_plurals_and_two_subjects() -> None:
    assert [s.key for s in read("two kittens and some puppies").subjects] == ["cat", "dog"]
    assert [s.key for s in read("sailboats near an old lighthouse").subjects] == [
        "boat",
        "lighthouse",
    ]
    placed = drawn("a cat and a dog in a field")[2]
    assert {p.wanted.key for p in placed} == {"cat", "dog"}
    boxes = [p.box for p in placed]
    assert (
        boxes[0][0] + boxes[0][2] <= boxes[1][0] + 1 or boxes[1][0] + boxes[1][2] <= boxes[0][0] + 1
    )


def test_a_colour_word_colours_its_subject() -> None:
    reading = read("a blue boat beside a yellow house, with a red car")
    assert {s.key: s.colour for s in reading.subjects} == {
        "boat": (36, 84, 214),
        "house": (244, 206, 30),
        "car": (206, 32, 36),
    }
    blue, red = (drawn(f"a {c} boat on the sea")[1:] for c in ("blue", "red"))
    x, y, w, h = (round(v) for v in blue[1][0].box)
    region = np.s_[y + h * 72 // 100 : y + h * 88 // 100, x + w // 4 : x + w * 3 // 4]  # the hull
    assert blue[0][region][..., 2].mean() > red[0][region][..., 2].mean() + 0.1
    assert red[0][region][..., 0].mean() > blue[0][region][..., 0].mean() + 0.1


def test_bright_red_car_at_noon_is_red_and_bright_and_darker_at_night() -> None:
    for seed in (1, 2, 3):
        noon = pixels(render_create(CAR_NOON, seed).data)
        r, g, b = noon.reshape(-1, 3).mean(axis=0)
        assert r > g + 0.08 and r > b + 0.08, (r, g, b)
        assert luminance(noon) > 0.55
        night = pixels(render_create(CAR_NIGHT, seed).data)
        assert luminance(night) < 0.5 * luminance(noon)


@pytest.mark.parametrize(
    ("prompt", "check"),
    [
        ("a house in a field in the snow", lambda a: a[-60:].mean() > 0.8),
        ("a city street at night", lambda a: luminance(a) < 0.25),
        ("a castle in the fog", lambda a: a.std() < 0.12),
        ("a lighthouse by the sea at sunset", lambda a: a[..., 0].mean() > a[..., 2].mean()),
        ("a whale in the ocean", lambda a: a[-200:, :, 2].mean() > a[-200:, :, 0].mean() + 0.15),
    ],
)
def test_time_weather_and_place_set_the_scene(prompt: str, check: object) -> None:
    assert callable(check)
    assert check(pixels(render_create(prompt, 4).data))


def test_an_edit_to_night_darkens_by_at_least_forty_percent_and_adds_a_moon() -> None:
    source = render_create(CAR_NOON, 3).data
    night = pixels(render_edit(source, "Make it night", 5).data)
    before = luminance(pixels(source))
    assert luminance(night) <= 0.6 * before
    top = night[: night.shape[0] // 3] @ LUMA
    assert (top > 0.85).sum() > 50  # the moon (and stars) shine in a dark sky


def test_make_the_car_blue_recolours_the_car() -> None:
    source = render_create(CAR_NOON, 3).data
    before = pixels(source)
    red = (before[..., 0] > 0.55) & (before[..., 1] < 0.3) & (before[..., 2] < 0.3)
    assert red.mean() > 0.05
    for instruction in ("make the car blue", "Change the car to blue"):
        after = pixels(render_edit(source, instruction, 5).data)
        assert after[red][:, 2].mean() > after[red][:, 0].mean() + 0.3
        sky = np.s_[:100, :]
        assert np.abs(after[sky] - before[sky]).mean() < 0.06  # the rest stays


def test_edit_words_change_the_picture_the_way_they_say() -> None:
    source = render_create("a green tree in a field at noon", 2).data
    before = pixels(source)
    snow = pixels(render_edit(source, "add snow", 1).data)
    assert luminance(snow[-200:]) > luminance(before[-200:]) + 0.1
    bw = pixels(render_edit(source, "black and white", 1).data)
    body = bw[:-60]
    assert np.abs(body[..., 0] - body[..., 2]).max() < 0.03
    rain, fog = (pixels(render_edit(source, w, 1).data) for w in ("make it rain", "foggy"))
    assert luminance(rain) < luminance(before)
    assert fog.std() < before.std() * 0.75
    sunset = pixels(render_edit(source, "sunset", 1).data)
    assert (
        sunset[..., 0].mean() - sunset[..., 2].mean()
        > before[..., 0].mean() - before[..., 2].mean() + 0.1
    )
    added = pixels(render_edit(source, "add a red boat", 1).data)
    assert ((added[..., 0] > 0.6) & (added[..., 1] < 0.3)).mean() > 0.01


def test_shot_words_in_the_instruction_move_the_camera() -> None:
    assert edits.shot_words("zoom out to a wide shot", "", "") == edits.Shot("wide", "")
    assert edits.shot_words("a close-up of the car", "", "") == edits.Shot("close-up", "")
    assert edits.shot_words("seen from above", "", "").shot_angle == "overhead"
    assert edits.shot_words("bird's-eye view", "", "").shot_angle == "birds-eye-view"
    assert edits.shot_words("low angle", "", "").shot_angle == "low-angle"
    assert edits.shot_words("over the shoulder", "", "").shot_angle == "over-the-shoulder"
    assert edits.shot_words("from above", "close-up", "low-angle") == edits.Shot(
        "close-up", "low-angle"
    )
    source = render_create(CAR_NOON, 3).data
    plain = pixels(render_edit(source, "keep it", 1).data)
    for words in ("zoom in", "zoom out", "from above"):
        moved = pixels(render_edit(source, words, 1).data)
        assert np.abs(moved - plain).mean() > 0.03, words


def test_same_prompt_and_seed_give_the_same_bytes() -> None:
    assert render_create(CAR_NOON, 9).data == render_create(CAR_NOON, 9).data
    source = render_create(CAR_NOON, 9).data
    assert render_edit(source, "make the car blue", 2).data == (
        render_edit(source, "make the car blue", 2).data
    )
    assert render_create(CAR_NOON, 9).data != render_create(CAR_NOON, 10).data


@pytest.mark.parametrize("shape", ["16:9", "9:16", "1:1", "21:9", "3:4", "4:3", "9:21"])
def test_every_shape_keeps_its_subject_in_the_frame(shape: str) -> None:
    size = size_for(shape)
    rendered = render_create("a red lighthouse on a cliff and a boat", 3, aspect_ratio=shape)
    assert (rendered.width, rendered.height) == size
    reading = read("a red lighthouse on a cliff and a boat")
    half = (size[0] // 2, size[1] // 2)
    _, layout = backdrop(half, "cliff", "day", frozenset(), "", None, seed_rng(1), -1)
    for placed in arrange(reading, layout, half, seed_rng(2)):
        x, y, w, h = placed.box
        assert x >= -1 and x + w <= half[0] + 1 and y >= -1
        assert min(w, h) > 0.08 * min(half)


@pytest.mark.parametrize(
    "prompt",
    ["🚗🌵☀️" * 50, "!?.,;:" * 300, "a " * 5000, "red " * 2500 + "car", "", "\x00\u202e"],
)
def test_hostile_prompts_render(prompt: str) -> None:
    rendered = render_create(prompt, 1)
    assert (rendered.width, rendered.height) == (1344, 768)
    edited = render_edit(rendered.data, prompt, 1)
    assert (edited.width, edited.height) == (1344, 768)
