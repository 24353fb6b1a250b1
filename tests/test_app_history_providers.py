"""History with rows of both services: each row names its service and model, and the
"Service" filter keeps only the chosen service's rows (AppTest)."""

from __future__ import annotations

import pytest
from apptest_support import AppEnv, app_env, texts  # noqa: F401
from streamlit.testing.v1 import AppTest

from components import history_table

HISTORY = "pages/history.py"
LTX_LABEL = "useapi.net (LTX Studio)"
BFL_LABEL = "Black Forest Labs"
# prompt → (provider, model kept with the row, status)
ROWS = {
    "A fox drawn by LTX": ("ltx", "flux-premium", "completed"),
    "A whale drawn by LTX, default model": ("ltx", None, "failed"),
    "A fox drawn by BFL": ("bfl", "flux-kontext-pro", "completed"),
    "A lighthouse drawn by BFL at its best": ("bfl", "flux-kontext-max", "failed"),
}


def both(env: AppEnv) -> AppEnv:
    for prompt, (provider, model, status) in ROWS.items():
        rid = env.store.add_job(
            account_key=env.key,
            kind="create",
            request={"prompt": prompt},
            summary={"prompt": prompt, "model": model},
            provider=provider,
        )
        env.store.update_job(rid, status="active", job_id=f"job-{rid}")
        env.store.update_job(
            rid, status=status, message="It failed." if status == "failed" else None
        )
    return env


@pytest.fixture
def mixed(app_env: AppEnv) -> AppEnv:
    return both(app_env)


def table(at: AppTest) -> dict[str, tuple[str, str]]:
    frame = at.dataframe[0].value
    return {
        p: (s, m) for p, s, m in zip(frame["prompt"], frame["service"], frame["model"], strict=True)
    }


def test_every_row_names_its_service_and_model(mixed: AppEnv) -> None:
    at = mixed.app(HISTORY)
    assert not at.exception
    assert table(at) == {
        "A fox drawn by LTX": (LTX_LABEL, "FLUX.1 Kontext Max (premium)"),
        "A whale drawn by LTX, default model": (LTX_LABEL, "FLUX.1 Kontext (default)"),
        "A fox drawn by BFL": (BFL_LABEL, "FLUX.1 Kontext [pro]"),
        "A lighthouse drawn by BFL at its best": (BFL_LABEL, "FLUX.1 Kontext [max]"),
    }
    assert history_table.COLUMNS["service"]["label"] == "Service"


@pytest.mark.parametrize(("chosen", "label"), [("bfl", BFL_LABEL), ("ltx", LTX_LABEL)])
def test_the_service_filter_shows_only_the_chosen_services_rows(
    mixed: AppEnv, chosen: str, label: str
) -> None:
    at = mixed.app(HISTORY)
    service = at.multiselect(key="history_providers")
    assert service.label == "Service"
    assert set(service.options) == {LTX_LABEL, BFL_LABEL}
    service.set_value([chosen]).run()
    assert not at.exception
    expected = {p for p, (provider, _, _) in ROWS.items() if provider == chosen}
    assert set(table(at)) == expected
    assert {s for s, _ in table(at).values()} == {label}
    assert "of 2 matching jobs (4 in all)" in texts(at)


def test_both_services_chosen_show_every_row(mixed: AppEnv) -> None:
    at = mixed.app(HISTORY)
    at.multiselect(key="history_providers").set_value(["ltx", "bfl"]).run()
    assert set(table(at)) == set(ROWS)
