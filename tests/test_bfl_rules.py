"""Black Forest Labs request rules: a form checked once into the documented body, in plain
words; a stored body gives its form back; the seed drawn once; capabilities and registry."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from kontextlab import providers
from kontextlab.import_rules import IMPORT_RULES
from kontextlab.providers import RANDOM_SEED_MAX, InvalidRequest
from kontextlab.providers.bfl import CAPABILITIES, BflRules

RULES = BflRules()
ROOT = Path(__file__).resolve().parent.parent


def picture(size: tuple[int, int] = (64, 48), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, format=fmt)
    return out.getvalue()


def errors(kind: str, **fields: Any) -> dict[str, str]:
    with pytest.raises(InvalidRequest) as caught:
        RULES.prepare(kind, fields)
    return {e.field: e.message for e in caught.value.errors}


# ---------------------------------------------------------------- capabilities, registry


def test_capabilities_say_what_the_form_may_show() -> None:
    caps = CAPABILITIES
    assert (caps.name, caps.label) == ("bfl", "Black Forest Labs")
    assert caps.kinds == ("create", "edit")
    assert caps.shapes[:3] == ("16:9", "9:16", "1:1")
    assert {"21:9", "9:21", "4:3", "3:4", "2:1"} <= set(caps.shapes)
    assert caps.default_shape in caps.shapes and caps.looks == ()
    assert caps.models == ("flux-kontext-pro", "flux-kontext-max")
    assert caps.default_model == "flux-kontext-pro"
    for kind in ("create", "edit"):
        for name in ("prompt", "picture", "safety", "webhook_secret", "model"):
            assert caps.accepts(kind, name)
        assert not caps.accepts(kind, "style") and not caps.accepts(kind, "reference_strength")
    assert not caps.accepts("upscale", "prompt")
    assert not (caps.can_find_lost_jobs or caps.can_sync_account or caps.needs_upload)
    assert caps.link_lifetime is not None and caps.link_lifetime.total_seconds() == 600
    assert caps.cost() == 4 and caps.cost("flux-kontext-max") == 8
    assert caps.dollars() == pytest.approx(0.04)
    assert caps.dollars("flux-kontext-max") == pytest.approx(0.08)


def test_the_registry_knows_bfl_offline_and_its_import_rules() -> None:
    assert providers.rules("bfl").capabilities is CAPABILITIES
    assert "bfl" in providers.names() and providers.capabilities("bfl") is CAPABILITIES
    assert IMPORT_RULES["bfl"].models == CAPABILITIES.models


def test_every_shape_offered_is_accepted() -> None:
    for shape in CAPABILITIES.shapes:
        assert RULES.prepare("create", {"prompt": "p", "aspect_ratio": shape}).aspect_ratio == shape


# ---------------------------------------------------------------- create


def test_create_prepares_the_documented_body_and_pro_endpoint() -> None:
    prepared = RULES.prepare(
        "create",
        {
            "prompt": "  A fox in snow ",
            "aspect_ratio": "21:9",
            "seed": "42",
            "output_format": "jpeg",
            "prompt_upsampling": True,
            "safety": 5,
            "webhook_url": " https://hooks.example.com/bfl ",
            "webhook_secret": "s3cret",
        },
    )
    assert (prepared.provider, prepared.kind) == ("bfl", "create")
    assert prepared.endpoint == "v1/flux-kontext-pro" and prepared.model == "flux-kontext-pro"
    assert prepared.as_dict() == {
        "prompt": "A fox in snow",
        "aspect_ratio": "21:9",
        "seed": 42,
        "output_format": "jpeg",
        "prompt_upsampling": True,
        "safety_tolerance": 5,
        "webhook_url": "https://hooks.example.com/bfl",
        "webhook_secret": "s3cret",
    }
    assert prepared.summary == {
        "prompt": "A fox in snow",
        "style": None,
        "aspect_ratio": "21:9",
        "seed": 42,
        "model": "flux-kontext-pro",
    }


def test_the_model_picks_the_endpoint_and_is_never_in_the_body() -> None:
    prepared = RULES.prepare("create", {"prompt": "p", "model": "flux-kontext-max"})
    assert prepared.endpoint == "v1/flux-kontext-max" and prepared.model == "flux-kontext-max"
    assert prepared.as_dict() == {"prompt": "p"}


def test_empty_optional_fields_are_not_sent() -> None:
    prepared = RULES.prepare(
        "create",
        {
            "prompt": "p",
            "aspect_ratio": "",
            "seed": None,
            "picture": None,
            "output_format": None,
            "prompt_upsampling": False,
            "safety": None,
            "webhook_url": " ",
            "webhook_secret": "",
        },
    )
    assert prepared.as_dict() == {"prompt": "p"}


def test_every_broken_rule_is_named_in_plain_words_under_its_field() -> None:
    found = errors(
        "create",
        prompt="x" * 2001,
        aspect_ratio="32:9",
        seed=-1,
        model="flux-dev",
        output_format="gif",
        prompt_upsampling="yes",
        safety=7,
        webhook_url="ftp://example.com",
    )
    assert found["prompt"] == "The prompt is 2,001 characters long; the limit is 2,000."
    assert "21:9" in found["aspect_ratio"] and "9:21" in found["aspect_ratio"]
    assert found["seed"] == "Seed must be a whole number from 0 to 4,294,967,295."
    assert found["model"] == "Model must be one of: flux-kontext-pro, flux-kontext-max."
    assert found["output_format"] == "The file format must be one of: png, jpeg."
    assert found["prompt_upsampling"] == "Prompt upsampling must be on or off."
    assert found["safety"] == "Safety tolerance must be a whole number from 0 to 6."
    assert "http:// or https://" in found["webhook_url"]


def test_a_prompt_is_required() -> None:
    assert errors("create", prompt="  ") == {"prompt": "Please enter the prompt."}


@pytest.mark.parametrize("shape", ["7:3", "1:2", "9:21", "21:9", "10:9"])
def test_any_shape_between_21_9_and_9_21_is_taken(shape: str) -> None:
    assert RULES.prepare("create", {"prompt": "p", "aspect_ratio": shape}).aspect_ratio == shape


@pytest.mark.parametrize("shape", ["22:9", "9:22", "3:1", "0:1", "16x9", "100:99", "١:١", 16])
def test_a_shape_outside_the_range_is_refused(shape: Any) -> None:
    assert "aspect_ratio" in errors("create", prompt="p", aspect_ratio=shape)


def test_a_webhook_secret_needs_a_webhook_url() -> None:
    assert errors("create", prompt="p", webhook_secret="s") == {
        "webhook_secret": "A webhook secret needs a webhook URL to sign for."
    }


def test_a_field_of_another_provider_is_a_type_error_and_upscale_a_key_error() -> None:
    with pytest.raises(TypeError, match="style"):
        RULES.prepare("create", {"prompt": "p", "style": "anime"})
    with pytest.raises(KeyError):
        RULES.prepare("upscale", {"job_id": "J"})
    with pytest.raises(KeyError):
        RULES.fields_of("upscale", {})


# ---------------------------------------------------------------- pictures


def test_a_reference_picture_goes_as_base64_of_its_bytes() -> None:
    data = picture()
    prepared = RULES.prepare("create", {"prompt": "p", "picture": data})
    sent = prepared.as_dict()["input_image"]
    assert base64.b64decode(sent, validate=True) == data
    assert not sent.startswith("data:")


def test_a_huge_picture_is_scaled_down_before_it_is_encoded() -> None:
    data = picture((5000, 4000), fmt="JPEG")  # 20 megapixels: over the 16 the app sends
    prepared = RULES.prepare("edit", {"prompt": "p", "picture": data})
    sent = Image.open(io.BytesIO(base64.b64decode(prepared.as_dict()["input_image"])))
    assert sent.width * sent.height <= 16_000_000 and sent.format == "JPEG"


def test_a_file_that_is_no_picture_is_refused_in_plain_words() -> None:
    found = errors("edit", prompt="p", picture=b"GIF89a not really")
    assert found == {"picture": "GIF files are not supported. Use a PNG, JPEG or WebP."}
    found = errors("edit", prompt="p", picture="not base64 at all!")
    assert found["picture"].startswith("The picture could not be read")
    assert "picture" in errors("edit", prompt="p", picture=12)


def test_an_edit_needs_its_source_picture() -> None:
    assert errors("edit", prompt="p") == {
        "picture": "Please choose the image to edit: upload a picture or pick one of your results."
    }


def test_safety_tolerance_is_at_most_2_with_a_picture_said_plainly() -> None:
    found = errors("edit", prompt="p", picture=picture(), safety=4)
    assert found == {
        "safety": "With a picture sent along, Black Forest Labs allows a safety "
        "tolerance of at most 2 (it is 4). Lower it to 2 or less."
    }
    ok = RULES.prepare("edit", {"prompt": "p", "picture": picture(), "safety": 2})
    assert ok.as_dict()["safety_tolerance"] == 2
    assert RULES.prepare("create", {"prompt": "p", "safety": 6}).body["safety_tolerance"] == 6


# ---------------------------------------------------------------- stored bodies


def test_a_stored_body_gives_back_the_form_that_prepares_into_it() -> None:
    form = {
        "prompt": "Make it night",
        "aspect_ratio": "4:3",
        "seed": 7,
        "model": "flux-kontext-max",
        "picture": picture(),
        "output_format": "png",
        "prompt_upsampling": True,
        "safety": 1,
        "webhook_url": "https://hooks.example.com/x",
        "webhook_secret": "abc",
    }
    prepared = RULES.prepare("edit", form)
    fields = RULES.fields_of("edit", prepared.as_dict())
    assert "model" not in fields  # the model is the endpoint: the row's model column says it
    again = RULES.prepare("edit", {**fields, "model": prepared.model})
    assert again == prepared and again.json() == prepared.json()


def test_the_import_rebuilds_a_bfl_request_as_it_was() -> None:
    body = RULES.prepare("edit", {"prompt": "p", "picture": picture(), "seed": 3}).as_dict()
    assert IMPORT_RULES["bfl"].rebuild("edit", dict(body)) == body
    # Another provider's wire names are not BFL's: dropped, as LTX drops unknown ones.
    assert IMPORT_RULES["bfl"].rebuild("create", {"prompt": "p", "replyRef": "x"}) == {
        "prompt": "p"
    }
    with pytest.raises(ValueError):
        IMPORT_RULES["bfl"].rebuild("create", {"prompt": "p", "safety_tolerance": 9})
    with pytest.raises(ValueError):
        IMPORT_RULES["bfl"].rebuild("edit", {"prompt": "p"})  # no source picture


# ---------------------------------------------------------------- finalize


def test_finalize_draws_the_seed_once_and_sends_no_tag() -> None:
    prepared = RULES.prepare("create", {"prompt": "p"})
    sent = RULES.finalize(prepared, tag="f" * 32)
    assert isinstance(sent.seed, int) and 0 <= sent.seed <= RANDOM_SEED_MAX
    assert sent.as_dict() == {"prompt": "p", "seed": sent.seed}
    assert "f" * 32 not in json.dumps(sent.as_dict())
    assert RULES.finalize(sent, tag="other") == sent
    chosen = RULES.prepare("create", {"prompt": "p", "seed": 0})
    assert RULES.finalize(chosen, tag="t").as_dict() == {"prompt": "p", "seed": 0}


# ---------------------------------------------------------------- wire names stay home


WIRE_NAMES = ("x-key", "polling_url", "input_image", "safety_tolerance", "flux-kontext")
HOME = ("kontextlab/providers/bfl/", "kontextlab/emulator/")


def test_no_bfl_wire_name_outside_its_package() -> None:
    pattern = re.compile("|".join(re.escape(name) for name in WIRE_NAMES))
    found = []
    for folder in ("kontextlab", "components", "pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(HOME):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []
