"""The provider seam: capabilities, one validation into an immutable prepared request, and the
completion (seed, tag) that makes the stored body the sent body."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from kontextlab import providers
from kontextlab.providers import RANDOM_SEED_MAX, InvalidRequest, PreparedRequest
from kontextlab.providers.ltx import CAPABILITIES, LtxProvider, LtxRules
from kontextlab.vocabulary import NO_STYLE

RULES = LtxRules()


def test_the_registry_knows_ltx_offline() -> None:
    assert providers.rules("ltx").capabilities is CAPABILITIES
    assert providers.capabilities() is CAPABILITIES


def test_ltx_capabilities_say_what_the_form_may_show() -> None:
    caps = CAPABILITIES
    assert (caps.name, caps.label) == ("ltx", "useapi.net (LTX Studio)")
    assert caps.kinds == ("create", "edit", "upscale")
    assert caps.shapes == ("16:9", "9:16", "1:1") and caps.default_shape == "16:9"
    assert len(caps.looks) == 16 and NO_STYLE not in caps.looks
    assert caps.accepts("create", "style") and not caps.accepts("edit", "style")
    assert caps.accepts("edit", "shot_angle") and not caps.accepts("upscale", "prompt")
    assert caps.can_find_lost_jobs and caps.can_sync_account and caps.needs_upload
    assert caps.cost("nano-banana") == 49 and caps.cost() == 28
    assert caps.dollars() is None  # useapi.net publishes no price per credit


def test_prepare_validates_once_into_an_immutable_request() -> None:
    prepared = RULES.prepare(
        "create", {"prompt": " A fox ", "style": "anime", "aspect_ratio": "1:1", "seed": 4}
    )
    assert prepared.endpoint == "images/flux-create" and prepared.provider == "ltx"
    assert prepared.as_dict() == {
        "prompt": "A fox",
        "aspectRatio": "1:1",
        "style": "anime",
        "seed": 4,
    }
    assert prepared.summary == {
        "prompt": "A fox",
        "style": "anime",
        "aspect_ratio": "1:1",
        "seed": 4,
        "model": None,
    }
    with pytest.raises(TypeError):
        prepared.body["seed"] = 5  # type: ignore[index]  # the body is read-only
    assert json.loads(prepared.json()) == prepared.as_dict()
    assert prepared.json() == json.dumps(prepared.as_dict(), sort_keys=True, separators=(",", ":"))


def test_no_style_is_sent_as_nothing() -> None:
    prepared = RULES.prepare("create", {"prompt": "x", "style": NO_STYLE})
    assert prepared.as_dict() == {"prompt": "x"} and prepared.style is None


def test_an_invalid_form_raises_field_errors_and_nothing_is_prepared() -> None:
    with pytest.raises(InvalidRequest) as caught:
        RULES.prepare("edit", {"prompt": "", "seed": -1})
    assert {e.field for e in caught.value.errors} == {"prompt", "reference_asset_id", "seed"}


def test_a_preview_draws_nothing_and_finalize_draws_the_seed_and_tags_the_row() -> None:
    prepared = RULES.prepare("create", {"prompt": "x"})
    assert "seed" not in prepared.body and prepared.seed is None
    sent = RULES.finalize(prepared, tag="row-1")
    assert 0 <= sent.seed <= RANDOM_SEED_MAX  # type: ignore[operator]
    assert sent.as_dict() == {"prompt": "x", "seed": sent.seed, "replyRef": "row-1"}
    assert sent.summary["seed"] == sent.seed
    assert "seed" not in prepared.body, "finalize makes a new request"


def test_finalize_keeps_a_fixed_seed_and_the_users_own_reference() -> None:
    prepared = RULES.prepare("edit", {"prompt": "x", "reference_asset_id": "a:1", "seed": 7})
    mine = RULES.prepare("create", {"prompt": "x", "seed": 7, "reply_ref": "batch 3"})
    assert RULES.finalize(prepared, tag="row-2").as_dict()["seed"] == 7
    assert RULES.finalize(mine, tag="row-3").as_dict()["replyRef"] == "batch 3"


def test_an_upscale_gets_no_seed_and_names_its_source() -> None:
    prepared = RULES.prepare("upscale", {"job_id": "J1", "poll_for_result": 1})
    sent = RULES.finalize(prepared, tag="row-4")
    assert sent.as_dict() == {"jobId": "J1", "pollForResult": 1, "replyRef": "row-4"}
    assert sent.source_job == "J1" and sent.seed is None


def test_fields_of_a_stored_body_prepare_the_same_body_again() -> None:
    prepared = RULES.prepare(
        "edit",
        {"prompt": "night", "reference_asset_id": "a:1", "shot_angle": "overhead", "seed": 9},
    )
    fields = RULES.fields_of("edit", {**prepared.as_dict(), "unknownWireName": 1})
    assert RULES.prepare("edit", fields) == prepared


def test_a_prepared_request_compares_by_value() -> None:
    a = RULES.prepare("create", {"prompt": "x", "seed": 1})
    b = PreparedRequest(
        "ltx", "create", "images/flux-create", {"prompt": "x", "seed": 1}, "x", seed=1
    )
    assert a == b


def test_the_provider_never_shows_its_token() -> None:
    provider = LtxProvider("https://api.useapi.net/v1/ltxstudio", "tok-SECRET")
    assert "SECRET" not in repr(provider) and "SECRET" not in repr(provider.client)
    assert provider.capabilities is CAPABILITIES


def test_ltx_capabilities_give_the_forms_ranges_choices_and_labels() -> None:
    wait, jobs = CAPABILITIES.spec("poll_for_result"), CAPABILITIES.spec("max_jobs")
    assert (wait.low, wait.high, wait.step_seconds) == (1, 20, 3)
    assert wait.label == "Wait for the picture in the request" and wait.wire == "pollForResult"
    assert (jobs.low, jobs.high, jobs.short) == (1, 100, "Most jobs at once")
    assert jobs.wire == "maxJobs"
    shot_type, shot_angle = CAPABILITIES.spec("shot_type"), CAPABILITIES.spec("shot_angle")
    assert shot_type.free and shot_type.choices == ("wide shot", "medium shot", "close-up")
    assert not shot_angle.free and "birds-eye-view" in shot_angle.choices
    assert CAPABILITIES.spec("reply_url").short == "Webhook address"
    assert CAPABILITIES.spec("reply_url").wire == "replyUrl"
    assert CAPABILITIES.spec("prompt") == providers.FieldSpec(), "a field without a spec"


def test_the_rules_say_where_each_kind_goes_and_what_an_upload_row_keeps() -> None:
    assert [RULES.endpoint(k) for k in ("create", "edit", "upscale", "upload")] == [
        "images/flux-create",
        "images/flux-edit",
        "images/upscale",
        "assets/?type=reference-image",
    ]
    assert RULES.endpoint("batch") is None
    assert RULES.upload_request("cat.png") == {"prompt": "cat.png", "fileName": "cat.png"}
    body = RULES.prepare("create", {"prompt": "x", "email": "a@b.co"}).as_dict()
    assert RULES.without_account(body) == {"prompt": "x"}


def test_a_provider_is_connected_through_the_registry() -> None:
    provider = providers.connect("ltx", "https://example.invalid/v1/ltxstudio", "tok")
    assert isinstance(provider, LtxProvider) and provider.capabilities is CAPABILITIES
    assert provider.base_url.rstrip("/") == "https://example.invalid/v1/ltxstudio"
    assert type(providers.connect(None, "https://example.invalid", "tok")) is LtxProvider
    with pytest.raises(KeyError):
        providers.connect("nobody", "https://example.invalid", "tok")


# Wire names of the LTX request bodies that the pages must never spell (the seam's field
# names stand for them), and the upload row's own key.
LTX_WIRE_KEYS = {
    "aspectRatio",
    "referenceAssetId",
    "referenceStrength",
    "shotType",
    "shotAngle",
    "pollForResult",
    "replyRef",
    "replyUrl",
    "maxJobs",
    "jobId",
    "fileName",
}


def test_pages_and_components_know_no_wire_format() -> None:
    """components/ and pages/ read and write requests in the seam's field names, through a
    provider's rules: no LTX wire key in their text, no import of an LTX module."""
    from kontextlab.providers.ltx.requests import WIRE_NAMES

    wire = LTX_WIRE_KEYS | {w for name, w in WIRE_NAMES.items() if w != name}
    root = Path(__file__).parent.parent
    files = sorted([*(root / "components").glob("*.py"), *(root / "pages").glob("*.py")])
    assert len(files) > 15
    for path in files:
        text = path.read_text()
        found = sorted(w for w in wire if re.search(rf"\b{w}\b", text))
        assert not found, f"{path.name} names {found}"
        imported = {
            node.module
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.ImportFrom) and node.module
        } | {
            alias.name
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        ltx = {m for m in imported if m.startswith("kontextlab.providers.ltx")}
        assert not ltx, f"{path.name} imports {ltx}"
        assert "LtxProvider" not in text and "LtxRules" not in text, path.name
