"""Request models: every rule of the seed documents, the wire format, and fuzzing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kontextlab.providers import FieldError, InvalidRequest
from kontextlab.providers.ltx.requests import (
    ASPECT_RATIOS,
    MODELS,
    NO_SOURCE,
    SHOT_ANGLES,
    STYLES,
    CreateRequest,
    EditRequest,
    UpscaleRequest,
    request_from_payload,
)

ASSET = "asset:3b18…-type:image/png"

# The request bodies printed in the two seed documents (body and curl example).
SEED_CREATE_BODIES = [
    {
        "prompt": "A serene mountain landscape at sunset",
        "aspectRatio": "16:9",
        "style": "cinematic",
        "seed": 123456,
    },
    {
        "prompt": "A serene mountain landscape at sunset",
        "aspectRatio": "16:9",
        "style": "cinematic",
        "pollForResult": 10,
    },
]
SEED_EDIT_BODIES = [
    {
        "prompt": "Add golden sunset lighting to the landscape",
        "referenceAssetId": ASSET,
        "aspectRatio": "16:9",
        "shotType": "wide shot",
        "shotAngle": "eye-level",
        "seed": 123456,
    },
    {
        "prompt": "Add golden sunset lighting to the landscape",
        "referenceAssetId": ASSET,
        "aspectRatio": "16:9",
        "shotType": "wide shot",
        "shotAngle": "eye-level",
        "pollForResult": 10,
    },
]


def errors_of(request: Any) -> dict[str, str]:
    """field → message of every rule the request breaks."""
    with pytest.raises(InvalidRequest) as caught:
        request.payload()
    return {e.field: e.message for e in caught.value.errors}


def edit(**kw: Any) -> EditRequest:
    return EditRequest(**{"prompt": "Make it night", "reference_asset_id": ASSET, **kw})


# ---------------------------------------------------------------- the seed examples


@pytest.mark.parametrize("body", SEED_CREATE_BODIES)
def test_seed_create_examples_round_trip_unchanged(body: dict[str, Any]) -> None:
    assert request_from_payload("create", body).payload() == body


@pytest.mark.parametrize("body", SEED_EDIT_BODIES)
def test_seed_edit_examples_round_trip_unchanged(body: dict[str, Any]) -> None:
    assert request_from_payload("edit", body).payload() == body


def test_every_create_field_goes_out_under_its_wire_name() -> None:
    request = CreateRequest(
        prompt="A fox",
        aspect_ratio="9:16",
        reference_asset_id=ASSET,
        reference_strength=70,
        style="film_noir",
        shot_type="close-up",
        shot_angle="low-angle",
        seed=42,
        model="flux",
        location="Oslo",
        weather="snow",
        lighting="neon",
        poll_for_result=5,
        max_jobs=3,
        reply_url="https://hooks.example.com/ltx",
        reply_ref="run-7",
        email="me@example.com",
    )
    assert request.payload() == {
        "prompt": "A fox",
        "aspectRatio": "9:16",
        "referenceAssetId": ASSET,
        "reference_strength": 70,
        "style": "film_noir",
        "shotType": "close-up",
        "shotAngle": "low-angle",
        "seed": 42,
        "model": "flux",
        "location": "Oslo",
        "weather": "snow",
        "lighting": "neon",
        "pollForResult": 5,
        "maxJobs": 3,
        "replyUrl": "https://hooks.example.com/ltx",
        "replyRef": "run-7",
        "email": "me@example.com",
    }
    assert request.endpoint == "images/flux-create"


def test_every_edit_field_goes_out_under_its_wire_name() -> None:
    request = edit(
        reference_asset_id2="asset:2",
        reference_asset_id3="asset:3",
        aspect_ratio="1:1",
        shot_type="wide shot",
        shot_angle="birds-eye-view",
        seed=7,
        model="flux-premium",
        location="a harbour",
        weather="fog",
        lighting="golden hour",
        poll_for_result=20,
        max_jobs=100,
        reply_url="http://127.0.0.1:9/hook",
        reply_ref="ref",
        email="me@example.com",
    )
    assert request.payload() == {
        "prompt": "Make it night",
        "referenceAssetId": ASSET,
        "referenceAssetId2": "asset:2",
        "referenceAssetId3": "asset:3",
        "aspectRatio": "1:1",
        "shotType": "wide shot",
        "shotAngle": "birds-eye-view",
        "seed": 7,
        "model": "flux-premium",
        "location": "a harbour",
        "weather": "fog",
        "lighting": "golden hour",
        "pollForResult": 20,
        "maxJobs": 100,
        "replyUrl": "http://127.0.0.1:9/hook",
        "replyRef": "ref",
        "email": "me@example.com",
    }
    assert request.endpoint == "images/flux-edit"


def test_edit_has_no_create_only_fields() -> None:
    restored = request_from_payload(
        "edit", {"prompt": "x", "referenceAssetId": ASSET, "style": "pop", "reference_strength": 9}
    )
    assert restored.payload() == {"prompt": "x", "referenceAssetId": ASSET}


# ---------------------------------------------------------------- empty optional fields


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_optional_fields_are_left_out(empty: Any) -> None:
    names = [
        "aspect_ratio",
        "reference_asset_id",
        "reference_strength",
        "style",
        "shot_type",
        "shot_angle",
        "seed",
        "model",
        "location",
        "weather",
        "lighting",
        "poll_for_result",
        "max_jobs",
        "reply_url",
        "reply_ref",
        "email",
    ]
    request = CreateRequest(prompt="A fox", **dict.fromkeys(names, empty))
    assert request.payload() == {"prompt": "A fox"}


def test_empty_optional_edit_fields_are_left_out() -> None:
    request = edit(reference_asset_id2="", reference_asset_id3=None, shot_type=" ", seed="")
    assert request.payload() == {"prompt": "Make it night", "referenceAssetId": ASSET}


# ---------------------------------------------------------------- prompt


@pytest.mark.parametrize("kind", ["create", "edit"])
def test_prompt_over_the_limit_says_how_long_it_is(kind: str) -> None:
    request = CreateRequest(prompt="a" * 2013) if kind == "create" else edit(prompt="a" * 2013)
    assert errors_of(request) == {
        "prompt": "The prompt is 2,013 characters long; the limit is 2,000."
    }


def test_prompt_of_exactly_the_limit_is_sent_whole() -> None:
    assert CreateRequest(prompt="é" * 2000).payload() == {"prompt": "é" * 2000}


@pytest.mark.parametrize("prompt", ["", "   ", None])
@pytest.mark.parametrize("kind", ["create", "edit"])
def test_prompt_is_required(kind: str, prompt: Any) -> None:
    request = CreateRequest(prompt=prompt) if kind == "create" else edit(prompt=prompt)
    assert errors_of(request) == {"prompt": "Please enter the prompt."}


def test_prompt_surrounding_spaces_are_trimmed() -> None:
    assert CreateRequest(prompt="  A fox \n").payload() == {"prompt": "A fox"}


def test_prompt_that_is_not_text_is_refused() -> None:
    assert "prompt" in errors_of(CreateRequest(prompt=123))  # type: ignore[arg-type]


# ---------------------------------------------------------------- choices


@pytest.mark.parametrize("ratio", ASPECT_RATIOS)
def test_the_three_aspect_ratios_are_accepted(ratio: str) -> None:
    assert CreateRequest(prompt="x", aspect_ratio=ratio).payload()["aspectRatio"] == ratio
    assert edit(aspect_ratio=ratio).payload()["aspectRatio"] == ratio


@pytest.mark.parametrize("ratio", ["4:3", "16x9", "1:1 ", "21:9"])
def test_other_aspect_ratios_are_refused_with_the_options(ratio: str) -> None:
    message = errors_of(CreateRequest(prompt="x", aspect_ratio=ratio))["aspect_ratio"]
    assert "Aspect ratio" in message
    assert all(option in message for option in ASPECT_RATIOS)


def test_there_are_sixteen_styles() -> None:
    assert len(set(STYLES)) == 16
    assert "base" not in STYLES


@pytest.mark.parametrize("style", STYLES)
def test_each_style_is_sent(style: str) -> None:
    assert CreateRequest(prompt="x", style=style).payload() == {"prompt": "x", "style": style}


def test_base_style_means_no_style_and_is_not_sent() -> None:
    assert CreateRequest(prompt="x", style="base").payload() == {"prompt": "x"}


@pytest.mark.parametrize("style", ["Cinematic", "noir", "3d-cartoon", "none"])
def test_unknown_styles_are_refused(style: str) -> None:
    message = errors_of(CreateRequest(prompt="x", style=style))["style"]
    assert message.startswith("Style must be one of:")
    assert "film_noir" in message


@pytest.mark.parametrize("angle", SHOT_ANGLES)
def test_the_five_shot_angles_are_accepted(angle: str) -> None:
    assert len(SHOT_ANGLES) == 5
    assert edit(shot_angle=angle).payload()["shotAngle"] == angle


@pytest.mark.parametrize("angle", ["eye level", "top-down", "Overhead"])
def test_other_shot_angles_are_refused(angle: str) -> None:
    message = errors_of(edit(shot_angle=angle))["shot_angle"]
    assert "Shot angle" in message
    assert "over-the-shoulder" in message


def test_shot_type_is_free_text() -> None:
    assert edit(shot_type="extreme close-up").payload()["shotType"] == "extreme close-up"


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "sent"), [(0, 0), (50, 50), (100, 100), ("75", 75), (" 30 ", 30), (40.0, 40)]
)
def test_reference_strength_from_0_to_100(value: Any, sent: int) -> None:
    payload = CreateRequest(prompt="x", reference_strength=value).payload()
    assert payload["reference_strength"] == sent


@pytest.mark.parametrize("value", [-1, 101, 50.5, "fifty", True, "5e1"])
def test_reference_strength_outside_0_to_100_is_refused(value: Any) -> None:
    message = errors_of(CreateRequest(prompt="x", reference_strength=value))["reference_strength"]
    assert message == "Reference strength must be a whole number from 0 to 100."


@pytest.mark.parametrize("value", [1, 10, 20, "20"])
def test_poll_for_result_from_1_to_20(value: Any) -> None:
    assert CreateRequest(prompt="x", poll_for_result=value).payload()["pollForResult"] == int(value)
    assert edit(poll_for_result=value).payload()["pollForResult"] == int(value)


@pytest.mark.parametrize("value", [0, 21, -3, 2.5, "ten"])
def test_poll_for_result_outside_1_to_20_is_refused(value: Any) -> None:
    message = errors_of(edit(poll_for_result=value))["poll_for_result"]
    assert "pollForResult" in message
    assert "from 1 to 20" in message


@pytest.mark.parametrize("value", [0, 101, "many"])
def test_max_jobs_outside_1_to_100_is_refused(value: Any) -> None:
    message = errors_of(CreateRequest(prompt="x", max_jobs=value))["max_jobs"]
    assert "maxJobs" in message
    assert "from 1 to 100" in message


@pytest.mark.parametrize("value", [0, 123456, "987", 2**32 - 1])
def test_seed_is_an_integer(value: Any) -> None:
    assert CreateRequest(prompt="x", seed=value).payload()["seed"] == int(value)


@pytest.mark.parametrize("value", [-1, "lucky", 1.5, "²", "+-5", "١٢x"])
def test_seed_that_is_not_a_whole_number_is_refused(value: Any) -> None:
    assert errors_of(CreateRequest(prompt="x", seed=value))["seed"].startswith("Seed must be")


# ---------------------------------------------------------------- edit needs an image


@pytest.mark.parametrize("missing", [None, "", "  "])
def test_edit_needs_the_image_to_edit(missing: Any) -> None:
    errors = errors_of(EditRequest(prompt="Make it night", reference_asset_id=missing))
    assert errors == {"reference_asset_id": NO_SOURCE}


def test_create_reference_is_optional() -> None:
    payload = CreateRequest(prompt="x", reference_asset_id=ASSET).payload()
    assert payload == {"prompt": "x", "referenceAssetId": ASSET}


# ---------------------------------------------------------------- webhook, email


@pytest.mark.parametrize("url", ["https://hooks.example.com/a?b=1", "http://127.0.0.1:8000/hook"])
def test_reply_url_http_or_https(url: str) -> None:
    assert edit(reply_url=url).payload()["replyUrl"] == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "example.com/hook",
        "javascript:alert(1)",
        "https://",
        "http://exa mple.com",
        "http://[::1",
    ],
)
def test_reply_url_must_be_a_web_address(url: str) -> None:
    message = errors_of(CreateRequest(prompt="x", reply_url=url))["reply_url"]
    assert "replyUrl" in message
    assert "http://" in message


def test_reply_ref_is_free_text_named_in_its_error() -> None:
    assert edit(reply_ref="batch 3").payload()["replyRef"] == "batch 3"
    assert "replyRef" in errors_of(edit(reply_ref=5))["reply_ref"]


@pytest.mark.parametrize("email", ["nobody", "a@b", "@example.com", "a b@example.com"])
def test_email_must_look_like_an_email(email: str) -> None:
    message = errors_of(CreateRequest(prompt="x", email=email))["email"]
    assert message == "The account email does not look like an email address."


# ---------------------------------------------------------------- October 2025 fields


@pytest.mark.parametrize("model", MODELS)
def test_the_three_models_are_accepted(model: str) -> None:
    assert CreateRequest(prompt="x", model=model).payload()["model"] == model
    assert edit(model=model).payload()["model"] == model


def test_unknown_model_is_refused() -> None:
    assert "flux-premium" in errors_of(edit(model="midjourney"))["model"]


@pytest.mark.parametrize("name", ["location", "weather", "lighting"])
def test_scene_texts_have_the_2000_limit(name: str) -> None:
    errors = errors_of(edit(**{name: "w" * 2001}))
    assert errors == {name: f"The {name} is 2,001 characters long; the limit is 2,000."}
    assert edit(**{name: "w" * 2000}).payload()[name] == "w" * 2000


@pytest.mark.parametrize("model", ["flux-premium", "nano-banana"])
def test_style_and_strength_only_with_flux(model: str) -> None:
    errors = errors_of(CreateRequest(prompt="x", model=model, style="pop", reference_strength=5))
    assert errors == {
        "style": "Styles work only with the flux model.",
        "reference_strength": "Reference strength works only with the flux model.",
    }


@pytest.mark.parametrize("model", [None, "", "flux"])
def test_style_and_strength_with_flux_or_no_model(model: Any) -> None:
    payload = CreateRequest(prompt="x", model=model, style="pop", reference_strength=5).payload()
    assert payload["style"] == "pop"
    assert payload["reference_strength"] == 5


def test_base_style_is_fine_with_any_model() -> None:
    payload = CreateRequest(prompt="x", model="nano-banana", style="base").payload()
    assert payload == {"prompt": "x", "model": "nano-banana"}


@pytest.mark.parametrize("model", [None, "", "   ", "flux"])
def test_third_reference_not_with_flux(model: Any) -> None:
    errors = errors_of(edit(model=model, reference_asset_id3="asset:3"))
    assert list(errors) == ["reference_asset_id3"]


@pytest.mark.parametrize("model", [None, "   "])
def test_blank_model_counts_as_flux_for_styles(model: Any) -> None:
    assert CreateRequest(prompt="x", model=model, style="pop").payload()["style"] == "pop"


def test_second_reference_with_flux() -> None:
    assert edit(reference_asset_id2="asset:2").payload()["referenceAssetId2"] == "asset:2"


# ---------------------------------------------------------------- errors, formats


def test_every_broken_rule_is_reported_at_once_under_its_field() -> None:
    request = CreateRequest(
        prompt="",
        aspect_ratio="4:3",
        style="noir",
        reference_strength=101,
        poll_for_result=0,
        reply_url="hook",
    )
    with pytest.raises(InvalidRequest) as caught:
        request.payload()
    fields = [e.field for e in caught.value.errors]
    assert sorted(fields) == sorted(
        ["prompt", "aspect_ratio", "style", "reference_strength", "poll_for_result", "reply_url"]
    )
    assert all(isinstance(e, FieldError) for e in caught.value.errors)
    assert caught.value.for_field("prompt") == "Please enter the prompt."
    assert caught.value.for_field("seed") is None
    assert request.errors() == caught.value.errors


def test_a_valid_request_has_no_errors() -> None:
    assert CreateRequest(prompt="x").errors() == []


def test_json_body_keeps_numbers() -> None:
    request = request_from_payload("create", {**SEED_CREATE_BODIES[0], "pollForResult": 10})
    assert json.loads(json.dumps(request.payload()))["seed"] == 123456


def test_upscale_needs_a_job_id() -> None:
    job = "email:me@example.com:7a34-type:image"
    assert UpscaleRequest(job_id=job, poll_for_result=3).payload() == {
        "jobId": job,
        "pollForResult": 3,
    }
    assert errors_of(UpscaleRequest()) == {"job_id": "Please enter the job to upscale."}


# ---------------------------------------------------------------- property tests

NUMERIC_TEXT = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.from_regex(r"\A[ +\-]{0,3}[0-9²³¹٣]{1,4}[ .]?\Z"),
)
ANYTHING = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    NUMERIC_TEXT,
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)


def field_values(*valid: Any) -> st.SearchStrategy[Any]:
    """Mostly valid values (so payloads come out) mixed with anything at all."""
    options = st.sampled_from(valid) if valid else st.nothing()
    return st.one_of(options, options, ANYTHING)


TEXTS = field_values("a fox", "  padded  ", "", "x" * 2000, "x" * 2001)
URLS = st.one_of(
    field_values("https://hooks.example.com/x", "http://127.0.0.1:1/h", "ftp://x.org"),
    st.text(max_size=20).map(lambda t: "http://" + t),
    st.text(max_size=20).map(lambda t: "https://[" + t),
)
COMMON = {
    "poll_for_result": field_values(1, 20, "5", 3.0, 0, 21),
    "max_jobs": field_values(1, 100, "7", 0, 101),
    "reply_url": URLS,
    "reply_ref": TEXTS,
    "email": field_values("me@example.com", "nobody", " a@b.co "),
}
GENERATION = {
    "prompt": TEXTS,
    "aspect_ratio": field_values(*ASPECT_RATIOS, "4:3"),
    "shot_type": TEXTS,
    "shot_angle": field_values(*SHOT_ANGLES, "sideways"),
    "seed": field_values(0, 123456, "42", 2**32, -1),
    "model": field_values(*MODELS, "  ", "FLUX"),
    "location": TEXTS,
    "weather": TEXTS,
    "lighting": TEXTS,
    **COMMON,
}
CREATES = st.fixed_dictionaries(
    {
        **GENERATION,
        "reference_asset_id": field_values(ASSET),
        "reference_strength": field_values(0, 100, "50", 101),
        "style": field_values(*STYLES, "base", "noir"),
    }
).map(lambda kw: CreateRequest(**kw))
EDITS = st.fixed_dictionaries(
    {
        **GENERATION,
        "reference_asset_id": field_values(ASSET),
        "reference_asset_id2": field_values("asset:2"),
        "reference_asset_id3": field_values("asset:3"),
    }
).map(lambda kw: EditRequest(**kw))

INTEGER_RANGES = {
    "reference_strength": (0, 100),
    "pollForResult": (1, 20),
    "maxJobs": (1, 100),
    "seed": (0, 2**63),
}
CHOICES = {
    "aspectRatio": ASPECT_RATIOS,
    "style": STYLES,
    "shotAngle": SHOT_ANGLES,
    "model": MODELS,
}
TEXT_FIELDS = ("prompt", "shotType", "location", "weather", "lighting", "replyRef")
REFERENCES = ("referenceAssetId", "referenceAssetId2", "referenceAssetId3")


def assert_obeys_every_rule(kind: str, payload: dict[str, Any]) -> None:
    common = {"referenceAssetId", "replyUrl", "email", *INTEGER_RANGES, *CHOICES, *TEXT_FIELDS}
    edit_only = {*REFERENCES} - {"referenceAssetId"}
    create_only = {"style", "reference_strength"}
    allowed = common - create_only | edit_only if kind == "edit" else common
    assert set(payload) <= allowed
    assert isinstance(payload.get("prompt"), str) and payload["prompt"].strip()
    for name, (low, high) in INTEGER_RANGES.items():
        if name in payload:
            assert type(payload[name]) is int and low <= payload[name] <= high
    for name, options in CHOICES.items():
        assert payload.get(name, options[0]) in options
    for name in (*TEXT_FIELDS, *REFERENCES):
        if name in payload:
            assert isinstance(payload[name], str) and 0 < len(payload[name].strip()) <= 2000
    if "replyUrl" in payload:
        parts = urlparse(payload["replyUrl"])
        assert parts.scheme in ("http", "https") and parts.netloc
    if "email" in payload:
        assert "@" in payload["email"]
    is_flux = payload.get("model", "flux") == "flux"
    assert is_flux or not {"style", "reference_strength"} & set(payload)
    if kind == "edit":
        assert "referenceAssetId" in payload
        assert not (is_flux and "referenceAssetId3" in payload)


def payload_or_invalid(request: Any) -> dict[str, Any] | None:
    try:
        return request.payload()
    except InvalidRequest as exc:
        assert exc.errors and all(e.field and e.message for e in exc.errors)
        return None


FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(CREATES)
def test_any_create_input_gives_a_valid_payload_or_field_errors(request: CreateRequest) -> None:
    payload = payload_or_invalid(request)
    if payload is not None:
        assert_obeys_every_rule("create", payload)
        assert request_from_payload("create", payload).payload() == payload


@FUZZ
@given(EDITS)
def test_any_edit_input_gives_a_valid_payload_or_field_errors(request: EditRequest) -> None:
    payload = payload_or_invalid(request)
    if payload is not None:
        assert_obeys_every_rule("edit", payload)
        assert request_from_payload("edit", payload).payload() == payload


@FUZZ
@given(st.dictionaries(st.sampled_from(["prompt", "seed", "style", "model", "x"]), ANYTHING))
def test_any_stored_payload_rebuilds_or_is_refused(stored: dict[str, Any]) -> None:
    payload = payload_or_invalid(request_from_payload("create", stored))
    if payload is not None:
        assert_obeys_every_rule("create", payload)
