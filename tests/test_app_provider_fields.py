"""The form draws, and sends, only the fields the connected provider takes.

A second provider is stood up here from capabilities alone (a few fields, no looks, free
shapes, no wait, no parallel jobs, no account): it talks to the emulator through the LTX
client underneath, so the pages run end to end, and it records every set of fields a page
hands it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import pytest
from apptest_support import AppEnv, app_env  # noqa: F401

from kontextlab.providers import Capabilities, FieldSpec, PreparedRequest, registry
from kontextlab.providers.ltx import LtxProvider, LtxRules

FAKE = Capabilities(
    name="fake",
    label="A second provider",
    kinds=("create", "edit"),
    fields=MappingProxyType(
        {
            "create": ("prompt", "aspect_ratio", "seed"),
            "edit": ("prompt", "reference_asset_id", "aspect_ratio", "seed"),
        }
    ),
    shapes=("1:1", "4:3", "21:9"),
    default_shape="1:1",
    looks=(),
    models=(),
    default_model=None,
    can_find_lost_jobs=False,
    can_sync_account=False,
    needs_upload=True,
    link_lifetime=timedelta(minutes=10),
    credits_per_picture=MappingProxyType({}),
    dollars_per_credit=0.01,
    prompt_limit=500,
    seed_max=2**31 - 1,
    specs=MappingProxyType({"aspect_ratio": FieldSpec(free=True)}),
)
SEEN: list[tuple[str, dict[str, Any]]] = []  # (kind, fields) of every prepare a page asked for

# Labels of widgets that only a provider with looks, shots, waits, models, accounts or
# reference strength has.
NOT_FOR_FAKE = {
    "Look",
    "Shot type",
    "Shot angle",
    "More options",
    "For developers",
    "Wait for the picture in the request",
    "Most jobs at once",
    "Webhook address",
    "Webhook tag",
    "Model",
    "Account email",
    "Reference picture (optional)",
    "Reference strength",
}
# Fields (and their LTX wire names) that no prepared request of the fake may carry.
NEVER_SENT = {"style", "shot_type", "shot_angle", "poll_for_result", "max_jobs", "email", "model"}
NEVER_ON_WIRE = {"style", "shotType", "shotAngle", "pollForResult", "maxJobs", "email", "model"}


class FakeRules(LtxRules):
    capabilities = FAKE

    def prepare(self, kind: str, fields: Mapping[str, Any]) -> PreparedRequest:
        SEEN.append((kind, dict(fields)))
        return dataclasses.replace(super().prepare(kind, fields), provider=FAKE.name)


class FakeProvider(FakeRules, LtxProvider):
    """The fake's rules in front of LTX's client (the emulator answers it)."""


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    SEEN.clear()
    monkeypatch.setitem(registry._PROVIDERS, FAKE.name, (FakeRules(), FakeProvider))
    monkeypatch.setattr(registry, "DEFAULT", FAKE.name)
    yield
    SEEN.clear()


def labels(at) -> set[str]:
    """The labels of every widget and section on the page (not the sidebar)."""
    kinds = ("selectbox", "text_input", "number_input", "slider", "radio", "text_area")
    kinds += ("segmented_control", "expander", "file_uploader")
    return {str(w.label) for kind in kinds for w in getattr(at.main, kind)}


def assert_only_fake_fields(kind: str) -> None:
    assert kind in {k for k, _ in SEEN}, f"no {kind} request was prepared"
    for seen_kind, fields in SEEN:
        assert set(fields) <= set(FAKE.fields[seen_kind]), fields
        assert not NEVER_SENT & set(fields)


def test_ltx_draws_looks_waits_and_models_on_create(app_env: AppEnv) -> None:
    """The control: the same labels are there with LTX, so their absence below means
    something."""
    at = app_env.app()
    at.sidebar.toggle(key="dev_options").set_value(True).run()
    found = labels(at)
    assert {"Look", "Shape", "More options", "Model", "Reference strength"} <= found
    assert {"Wait for the picture in the request", "Most jobs at once"} <= found
    assert {"Shot type", "Shot angle"} <= labels(app_env.app("pages/edit.py"))


def test_a_provider_without_looks_or_waits_gets_a_create_form_without_them(
    app_env: AppEnv, fake: None
) -> None:
    at = app_env.app()
    found = labels(at)
    assert not NOT_FOR_FAKE & found, NOT_FOR_FAKE & found
    assert {"Prompt", "Shape", "Seed"} <= found
    shape = at.main.selectbox(key="create_aspect_ratio")
    assert list(shape.options) == ["□ 1:1 square", "4:3", "21:9"] and shape.value == "1:1"
    at.text_area(key="create_prompt").set_value("A lighthouse in the fog")
    at.button(key="create_go").click()
    at.run()
    app_env.wait_idle()
    at.run()
    assert not at.exception
    assert_only_fake_fields("create")
    record = app_env.latest("create")
    assert record.provider == "fake" and record.status == "completed", record.message
    assert not NEVER_ON_WIRE & set(record.request), record.request
    assert record.request["aspectRatio"] == "1:1" and record.request["seed"] == record.seed


def test_a_provider_without_shots_or_waits_gets_an_edit_form_without_them(
    app_env: AppEnv, fake: None
) -> None:
    at = app_env.app()
    at.text_area(key="create_prompt").set_value("A quiet harbour at dawn")
    at.button(key="create_go").click()
    at.run()
    app_env.wait_idle()
    source = app_env.latest("create")
    SEEN.clear()
    at = app_env.app("pages/edit.py")
    at.session_state["edit_ref_mode"] = "One of my results"
    at.session_state["edit_ref_row"] = source.id
    at.run()
    found = labels(at)
    assert not NOT_FOR_FAKE & found, NOT_FOR_FAKE & found
    assert {"What should change?", "Shape", "Seed"} <= found
    at.text_area(key="edit_prompt").set_value("Add a red boat")
    at.button(key="edit_go").click()
    at.run()
    app_env.wait_idle()
    assert not at.exception
    assert_only_fake_fields("edit")
    edit = app_env.latest("edit")
    assert edit.provider == "fake" and edit.parent_id == source.id
    assert edit.request["referenceAssetId"] == source.file_id
    assert not NEVER_ON_WIRE & set(edit.request), edit.request
    history = app_env.app("pages/history.py")
    assert not history.exception
