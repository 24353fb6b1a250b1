"""The display copy a result card shows: small, the right format, the same shape, upright."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from test_bounds_images import UNUSABLE, decoded_sizes, encoded, gradient, png_bomb

from kontextlab.images import BadImage, display_copy
from kontextlab.images.decoding import ORIENTATION_TAG


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("size", "expected"),
    [((4_000, 2_000), (1_280, 640)), ((1_000, 3_000), (427, 1_280)), ((1_344, 768), (1_280, 731))],
    ids=["wide", "tall", "emulator-16:9"],
)
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_large_picture_becomes_a_jpeg_of_at_most_1280_keeping_its_shape(
    size: tuple[int, int], expected: tuple[int, int], fmt: str
) -> None:
    copy = opened(display_copy(encoded(gradient(size), fmt)))
    assert copy.format == "JPEG" and copy.mode == "RGB"
    assert copy.size == expected
    assert copy.width / copy.height == pytest.approx(size[0] / size[1], rel=0.01)


def test_the_longest_side_is_a_parameter() -> None:
    copy = opened(display_copy(encoded(gradient((900, 600))), longest=300))
    assert copy.size == (300, 200)
    with pytest.raises(ValueError, match="at least 1"):
        display_copy(encoded(gradient((90, 60))), longest=0)


def test_a_copy_is_far_smaller_than_a_large_original() -> None:
    noise = Image.effect_noise((3_000, 2_000), 80).convert("RGB")
    original = encoded(noise, "PNG")
    assert len(display_copy(original)) < len(original) / 5


def test_transparency_is_kept_in_a_png() -> None:
    picture = Image.new("RGBA", (2_000, 1_000), (200, 30, 30, 255))
    picture.paste((0, 0, 0, 0), (0, 0, 500, 1_000))  # the left quarter is see-through
    copy = opened(display_copy(encoded(picture)))
    assert copy.format == "PNG" and copy.mode == "RGBA" and copy.size == (1_280, 640)
    assert copy.getpixel((10, 320))[3] == 0 and copy.getpixel((1_000, 320))[3] == 255


def test_a_palette_picture_with_a_transparent_colour_stays_transparent() -> None:
    picture = Image.new("P", (200, 100), 1)
    picture.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    picture.paste(0, (0, 0, 50, 100))
    copy = opened(display_copy(encoded(picture, transparency=0)))
    assert copy.format == "PNG" and copy.getpixel((5, 50))[3] == 0


def test_an_opaque_picture_with_an_alpha_channel_becomes_a_jpeg() -> None:
    copy = opened(display_copy(encoded(Image.new("RGBA", (400, 300), (1, 2, 3, 255)))))
    assert copy.format == "JPEG" and copy.size == (400, 300)


def test_a_small_jpeg_comes_back_as_it_is() -> None:
    data = encoded(gradient((800, 600)), "JPEG")
    assert display_copy(data) is data


@pytest.mark.parametrize("mode", ["RGB", "L", "I;16"])
def test_a_small_png_is_drawn_again_as_a_jpeg_never_enlarged(mode: str) -> None:
    picture = gradient((640, 480), "L" if mode == "I;16" else mode)
    if mode == "I;16":
        picture = picture.point(lambda v: v * 256).convert("I;16")
    copy = opened(display_copy(encoded(picture)))
    assert copy.format == "JPEG" and copy.size == (640, 480) and copy.mode == "RGB"


def test_a_rotated_photo_is_shown_upright() -> None:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6  # turned 90° clockwise when shown
    data = encoded(gradient((300, 200)), "JPEG", exif=exif.tobytes())
    copy = opened(display_copy(data))
    assert copy.size == (200, 300) and ORIENTATION_TAG not in copy.getexif()


def test_a_big_jpeg_is_never_decoded_at_full_size(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = decoded_sizes(monkeypatch)
    copy = opened(display_copy(encoded(gradient((6_000, 4_000)), "JPEG")))
    assert copy.size == (1_280, 853)
    assert loaded and max(w * h for w, h in loaded) <= 4 * 1_280 * 1_280


UNUSABLE_HERE = {
    **UNUSABLE,
    "truncated-big-jpeg": (encoded(gradient((2_000, 1_500)), "JPEG")[:5_000], "damaged"),
    "truncated-small-jpeg": (encoded(gradient((800, 600)), "JPEG")[:2_000], "damaged"),
    "bomb": (png_bomb(20_000, 20_000), "pixels"),
}


@pytest.mark.parametrize(("data", "expected"), UNUSABLE_HERE.values(), ids=UNUSABLE_HERE.keys())
def test_what_is_not_a_usable_picture_raises_bad_image(data: bytes, expected: str) -> None:
    with pytest.raises(BadImage, match=expected):
        display_copy(data)
