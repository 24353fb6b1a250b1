"""The vendor's own pages are the contract: every example body on them is sent verbatim.

The pages live beside the project (`../shared/seeds`). Without them these tests skip on a
developer's machine and fail in CI (`CI` set), where skipping would hide a broken contract.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from test_emulator_contract import DEADLINE, JOB_CREATED, JOB_MODEL, png_bytes, undocumented

from kontextlab.emulator import DEMO_EMAIL, DEMO_TOKEN, Emulator
from kontextlab.emulator.rules import ENDPOINTS, NO_STYLE, ROUTE_KINDS

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
PAGES = {"images/flux-create": "flux-create.txt", "images/flux-edit": "flux-edit.txt"}
# Where each example body starts on a page: the text just before its opening brace.
EXAMPLES = {
    "request-body": r"Request Body\s*\n(?=\{)",
    "curl": r"-d\s*'(?=\{)",
    "javascript": r"JSON\.stringify\((?=\{)",
    "python": r"\bdata\s*=\s*(?=\{)",
}
HEADERS = {"Authorization": f"Bearer {DEMO_TOKEN}"}
PLACEHOLDER = "…"  # the vendor shortens ids with an ellipsis: "asset:3b18…-type:image/png"


def vendor_page(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        message = f"The vendor page {name} is not in ../shared/seeds beside this checkout."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path.read_text(encoding="utf-8")


def braced(text: str, start: int) -> str:
    """The balanced {...} block that opens at `start` (braces inside strings ignored)."""
    depth, opener, escaped = 0, "", False
    for index in range(start, len(text)):
        char = text[index]
        if escaped:
            escaped = False
        elif opener:
            escaped = char == "\\"
            opener = "" if char == opener else opener
        elif char in "\"'":
            opener = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    raise AssertionError(f"An unbalanced block at character {start} of a vendor page.")


def example_body(page: str, example: str) -> dict[str, Any]:
    found = [m.end() for m in re.finditer(EXAMPLES[example], page)]
    assert len(found) == 1, f"The {example} example is not on the page once (found {len(found)})."
    body = json.loads(braced(page, found[0]))
    assert isinstance(body, dict) and body.get("prompt")
    return body


def section(page: str, title: str, next_title: str) -> str:
    match = re.search(rf"^{title}\n(.*?)^{next_title}\n", page, re.S | re.M)
    assert match, f"The vendor page has no {title} section before {next_title}."
    return match.group(1)


def typescript_model(text: str) -> dict[str, Any]:
    """The `{ name?: type ... }` model of a page as nested keys (None for a leaf)."""
    root: dict[str, Any] = {}
    stack = [root]
    for raw in text.splitlines():
        line = raw.split("//")[0].strip()
        if match := re.match(r"(\w+)\??\s*:\s*(\{)?", line):
            child: dict[str, Any] | None = {} if match.group(2) else None
            stack[-1][match.group(1)] = child
            if child is not None:
                stack.append(child)
        elif line.startswith("}") and len(stack) > 1:
            stack.pop()
    return root


def send(emulator: Emulator, route: str, body: dict[str, Any], how: str) -> requests.Response:
    url = f"{emulator.base_url}/{route}"
    # The vendor waits up to 3 s per pollForResult tick; ours is config.poll_tick.
    timeout = DEADLINE + body.get("pollForResult", 0) * emulator.config.poll_tick
    if how == "json":
        return requests.post(url, json=body, headers=HEADERS, timeout=timeout)
    files = {k: (None, str(v)) for k, v in body.items()}  # a form carries every value as text
    return requests.post(url, files=files, headers=HEADERS, timeout=timeout)


def uploaded_file_id(emulator: Emulator) -> str:
    answer = requests.post(
        f"{emulator.base_url}/assets/",
        params={"type": "reference-image"},
        data=png_bytes(),
        headers={**HEADERS, "Content-Type": "image/png"},
        timeout=DEADLINE,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["asset"]["fileId"]


def status_of(emulator: Emulator, job_id: str) -> dict[str, Any]:
    emulator.advance(emulator.config.job_seconds + emulator.config.artifact_lag)
    url = f"{emulator.base_url}/assets/{quote(job_id, safe='')}"
    answer = requests.get(url, headers=HEADERS, timeout=DEADLINE)
    assert answer.status_code == 200, answer.text
    return answer.json()


def assert_finished_job(answer: dict[str, Any], mime_type: str = "image/png") -> None:
    assert undocumented(answer, JOB_MODEL) == [], answer
    assert answer["status"]["type"] == "completed", answer
    assert answer["status"]["artifact"]["asset"]["mimeType"] == mime_type
    assert answer["jobId"].startswith(f"email:{DEMO_EMAIL}:")


# ---------------------------------------------------------------- the pages themselves


@pytest.mark.parametrize("route", PAGES)
def test_the_job_model_used_by_every_shape_check_is_the_vendors(route: str) -> None:
    page = vendor_page(PAGES[route])
    assert typescript_model(section(page, "Model", "Examples")) == JOB_MODEL


@pytest.mark.parametrize("route", PAGES)
def test_the_documented_answers_fit_the_model(route: str) -> None:
    responses = section(vendor_page(PAGES[route]), "Responses", "Model")
    starts = [m.start() for m in re.finditer(r"^\s*\{\s*$", responses, re.M)]
    examples = [json.loads(braced(responses, responses.index("{", s))) for s in starts]
    created, finished = examples[0], examples[1]
    assert set(created) == JOB_CREATED
    assert undocumented(finished, JOB_MODEL) == []


def documented_fields(page: str) -> dict[str, str]:
    """Each field of the page's Request Body list → its description."""
    bullets = section(page, "Request Body", "Responses")
    pattern = r"•\s*(\w+) is (.*?)(?=\n\s*•|\Z)"
    return {m.group(1): " ".join(m.group(2).split()) for m in re.finditer(pattern, bullets, re.S)}


@pytest.mark.parametrize("route", PAGES)
def test_every_documented_field_has_the_documented_rule(route: str) -> None:
    fields = documented_fields(vendor_page(PAGES[route]))
    rules = ENDPOINTS[ROUTE_KINDS[route]]
    assert len(fields) >= 10 and set(fields) <= set(rules), set(fields) - set(rules)
    for name, text in fields.items():
        rule = rules[name]
        assert rule.required == text.startswith("required"), name
        if values := re.search(r"Supported values: (.*?)\.(?: |$)", text):
            low_high = re.fullmatch(r"(\d+)-(\d+)", values.group(1))
            if low_high:
                assert (rule.low, rule.high) == tuple(map(int, low_high.groups())), name
            else:
                listed = tuple(values.group(1).split(", "))
                assert tuple(c for c in rule.choices if c != NO_STYLE) == listed, name
        if limit := re.search(r"max (\d+) characters", text):
            assert rule.high == int(limit.group(1)), name
        if span := re.search(r"\((\d+)-(\d+)\)", text):
            assert (rule.low, rule.high) == tuple(map(int, span.groups())), name
    if "style" in fields:
        assert f"Default is {NO_STYLE}" in fields["style"] and NO_STYLE in rules["style"].choices


# ---------------------------------------------------------------- every example, verbatim


def assert_example_finishes(emulator: Emulator, route: str, body: dict[str, Any], how: str) -> None:
    """The body is accepted, and its job ends completed with a picture."""
    polls = body.get("pollForResult", 0)
    # The server waits `polls` ticks; the test emulator's job must end well inside them.
    assert polls == 0 or polls * emulator.config.poll_tick > 2 * emulator.config.job_seconds
    answer = send(emulator, route, body, how)
    assert answer.status_code == 200, answer.text
    if polls:
        assert_finished_job(answer.json())
    else:
        assert set(answer.json()) == JOB_CREATED
        assert_finished_job(status_of(emulator, answer.json()["jobId"]))


@pytest.mark.parametrize("how", ["json", "multipart"])
@pytest.mark.parametrize("example", EXAMPLES)
def test_create_example_body_is_accepted_as_is(emulator: Emulator, example: str, how: str) -> None:
    body = example_body(vendor_page(PAGES["images/flux-create"]), example)
    assert_example_finishes(emulator, "images/flux-create", body, how)


@pytest.mark.parametrize("how", ["json", "multipart"])
@pytest.mark.parametrize("example", EXAMPLES)
def test_edit_example_body_is_accepted_with_a_real_reference(
    emulator: Emulator, example: str, how: str
) -> None:
    body = example_body(vendor_page(PAGES["images/flux-edit"]), example)
    # The vendor's referenceAssetId is a shortened placeholder ("asset:3b18…"): it names no
    # file here, so it is the one value swapped, for the fileId of a real upload.
    assert PLACEHOLDER in body["referenceAssetId"]
    body["referenceAssetId"] = uploaded_file_id(emulator)
    assert not any(PLACEHOLDER in str(value) for value in body.values())
    assert_example_finishes(emulator, "images/flux-edit", body, how)


def test_the_edit_example_with_the_placeholder_id_is_accepted_and_the_job_fails(
    emulator: Emulator,
) -> None:
    body = example_body(vendor_page(PAGES["images/flux-edit"]), "request-body")
    answer = send(emulator, "images/flux-edit", body, "json")
    assert answer.status_code == 200 and set(answer.json()) == JOB_CREATED
    status = status_of(emulator, answer.json()["jobId"])
    assert undocumented(status, JOB_MODEL) == []
    assert status["status"]["type"] == "failed" and status["status"]["message"]


def test_missing_pages_skip_locally_and_fail_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "SEEDS", tmp_path)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"flux-create\.txt"):
        vendor_page("flux-create.txt")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"flux-create\.txt"):
        vendor_page("flux-create.txt")
