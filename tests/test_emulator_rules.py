"""The emulator checks requests by its own rules: what the app's client never sends is refused.

Every request here goes over real HTTP to the started emulator, as JSON, as multipart/form-data
or urlencoded, and every refusal must be a 400 `{"error", "code"}` naming the field.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from seam_support import send
from test_emulator_contract import DEADLINE, JOB_CREATED, png_bytes

from kontextlab import providers as api
from kontextlab.emulator import DEMO_EMAIL, DEMO_TOKEN, Emulator
from kontextlab.emulator.rules import ENDPOINTS, ROUTE_KINDS
from kontextlab.providers import ltx
from kontextlab.providers.ltx.requests import CreateRequest, EditRequest

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {"Authorization": f"Bearer {DEMO_TOKEN}"}
CREATE, EDIT, UPSCALE = "images/flux-create", "images/flux-edit", "images/upscale"
PLACEHOLDER_REF = "asset:0-type:image/png"  # never uploaded: only the rules are under test


def minimal(route: str) -> dict[str, Any]:
    """The least each endpoint needs to pass its rules."""
    kind = ROUTE_KINDS[route]
    if kind == "upscale":
        return {"jobId": f"email:{DEMO_EMAIL}:00000000-0000-0000-0000-000000000000-type:image"}
    if kind == "edit":
        return {"prompt": "x", "referenceAssetId": PLACEHOLDER_REF}
    return {"prompt": "x"}


def post(emulator: Emulator, route: str, body: dict[str, Any], how: str = "json"):
    url = f"{emulator.base_url}/{route}"
    if how == "json":
        return requests.post(url, json=body, headers=HEADERS, timeout=DEADLINE)
    as_text = {k: v if isinstance(v, str) else str(v) for k, v in body.items()}
    if how == "multipart":
        files = {k: (None, v) for k, v in as_text.items()}
        return requests.post(url, files=files, headers=HEADERS, timeout=DEADLINE)
    return requests.post(url, data=as_text, headers=HEADERS, timeout=DEADLINE)


@pytest.fixture
def client(emulator: Emulator) -> ltx.Client:
    return ltx.Client(emulator.base_url, DEMO_TOKEN, backoff=0.01, sleep=lambda s: None)


def assert_refused(answer: requests.Response, *words: str) -> str:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == {"error", "code"} and body["code"] == 400
    for word in words:
        assert word in body["error"], body["error"]
    return body["error"]


# ---------------------------------------------------------------- the rule table itself


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, relative imports resolved, at any depth."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join((*package[: len(package) - node.level + 1], node.module or ""))
            base = base.strip(".") if node.level else node.module or ""
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return found


def test_no_emulator_module_imports_the_clients_request_models() -> None:
    forbidden = ("kontextlab.payloads", "kontextlab.api", "kontextlab.providers")
    importers = [
        path.name
        for path in sorted((ROOT / "kontextlab" / "emulator").rglob("*.py"))
        if any(m == f or m.startswith(f + ".") for m in imported_modules(path) for f in forbidden)
    ]
    assert importers == []
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, kontextlab.emulator; print(sorted(sys.modules))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert not [m for m in loaded.split("'") if m.startswith(forbidden)]


def test_the_table_lists_exactly_the_documented_fields() -> None:
    delivery = {"pollForResult", "maxJobs", "replyUrl", "replyRef", "email"}
    picture = {"prompt", "aspectRatio", "shotType", "shotAngle", "seed", "model"}
    scene = {"location", "weather", "lighting"}
    assert set(ENDPOINTS["create"]) == (
        delivery | picture | scene | {"referenceAssetId", "reference_strength", "style"}
    )
    assert set(ENDPOINTS["edit"]) == (
        delivery | picture | scene | {"referenceAssetId", "referenceAssetId2", "referenceAssetId3"}
    )
    assert set(ENDPOINTS["upscale"]) == delivery | {"jobId"}


# ---------------------------------------------------------------- unknown fields


@pytest.mark.parametrize("how", ["json", "multipart", "form"])
@pytest.mark.parametrize(
    ("route", "field"),
    [
        (CREATE, "referenceStrength"),
        ("images/create", "aspect_ratio"),
        (CREATE, "referenceAssetId2"),
        (EDIT, "style"),
        ("images/edit", "reference_strength"),
        (EDIT, "negativePrompt"),
        (UPSCALE, "prompt"),
        (UPSCALE, "seed"),
    ],
)
def test_an_undocumented_field_is_refused_by_name(
    emulator: Emulator, route: str, field: str, how: str
) -> None:
    body = {**minimal(route), field: "40"}
    message = assert_refused(post(emulator, route, body, how), f"Unknown parameter {field}")
    assert message == f"Unknown parameter {field}."


def test_a_file_part_is_not_a_field(emulator: Emulator) -> None:
    url = f"{emulator.base_url}/{CREATE}"
    files = {"prompt": (None, "x"), "image": ("a.png", png_bytes(), "image/png")}
    answer = requests.post(url, files=files, headers=HEADERS, timeout=DEADLINE)
    assert_refused(answer, "Unknown parameter image")
    files = {"prompt": ("prompt.txt", b"x", "text/plain")}
    answer = requests.post(url, files=files, headers=HEADERS, timeout=DEADLINE)
    assert_refused(answer, "Parameter prompt must be text")


def test_a_field_given_twice_is_refused(emulator: Emulator) -> None:
    url = f"{emulator.base_url}/{CREATE}"
    form = [("prompt", "x"), ("seed", "1"), ("seed", "2")]
    assert_refused(requests.post(url, data=form, headers=HEADERS, timeout=DEADLINE), "seed")
    body = b'{"prompt": "x", "prompt": "y"}'
    headers = {**HEADERS, "Content-Type": "application/json"}
    answer = requests.post(url, data=body, headers=headers, timeout=DEADLINE)
    assert_refused(answer, "Parameter prompt is given more than once")


def test_an_unknown_content_type_is_refused(emulator: Emulator) -> None:
    headers = {**HEADERS, "Content-Type": "text/plain"}
    answer = requests.post(
        f"{emulator.base_url}/{CREATE}", data=b"prompt=x", headers=headers, timeout=DEADLINE
    )
    assert_refused(answer, "text/plain")


# ---------------------------------------------------------------- wrong values


WRONG = [
    # (route, field, value, how, words in the message)
    (CREATE, "seed", "abc", "json", "seed must be an integer"),
    (CREATE, "seed", "abc", "multipart", "seed must be an integer"),
    (CREATE, "seed", "12", "json", "seed must be an integer"),  # JSON numbers only
    (CREATE, "seed", True, "json", "seed must be an integer"),
    (CREATE, "seed", None, "json", "seed must be an integer"),
    (CREATE, "seed", 1.5, "json", "seed must be an integer"),
    (CREATE, "seed", -1, "json", "seed must be from 0 to 4294967295"),
    (CREATE, "seed", 2**32, "json", "seed must be from 0 to 4294967295"),
    (CREATE, "seed", "1.0", "form", "seed must be an integer"),
    (CREATE, "seed", "", "form", "seed must be an integer"),
    (CREATE, "aspectRatio", 5, "json", "aspectRatio must be text"),
    (CREATE, "aspectRatio", "4:3", "json", "aspectRatio must be one of 16:9, 9:16, 1:1"),
    (CREATE, "aspectRatio", "4:3", "multipart", "aspectRatio must be one of"),
    (CREATE, "reference_strength", 101, "json", "reference_strength must be from 0 to 100"),
    (CREATE, "reference_strength", -1, "form", "reference_strength must be from 0 to 100"),
    (CREATE, "reference_strength", False, "json", "reference_strength must be an integer"),
    (CREATE, "pollForResult", 0, "json", "pollForResult must be from 1 to 20"),
    (CREATE, "pollForResult", 21, "json", "pollForResult must be from 1 to 20"),
    (CREATE, "pollForResult", "21", "multipart", "pollForResult must be from 1 to 20"),
    (EDIT, "pollForResult", 0, "json", "pollForResult must be from 1 to 20"),
    (UPSCALE, "pollForResult", 21, "json", "pollForResult must be from 1 to 20"),
    (CREATE, "maxJobs", 0, "json", "maxJobs must be from 1 to 100"),
    (CREATE, "maxJobs", 101, "json", "maxJobs must be from 1 to 100"),
    (UPSCALE, "maxJobs", 101, "form", "maxJobs must be from 1 to 100"),
    (CREATE, "style", "oil", "json", "style must be one of"),
    (CREATE, "style", "Cinematic", "json", "style must be one of"),
    (CREATE, "shotAngle", "dutch", "json", "shotAngle must be one of"),
    (EDIT, "shotAngle", "eye level", "multipart", "shotAngle must be one of"),
    (CREATE, "model", "flux-pro", "json", "model must be one of flux, flux-premium, nano-banana"),
    (EDIT, "model", "FLUX", "json", "model must be one of"),
    (CREATE, "prompt", 42, "json", "prompt must be text"),
    (CREATE, "prompt", ["a"], "json", "prompt must be text"),
    (CREATE, "prompt", "", "json", "Parameter prompt is required"),
    (CREATE, "prompt", "   ", "multipart", "Parameter prompt is required"),
    (CREATE, "prompt", "x" * 2001, "json", "prompt is 2001 characters long; the limit is 2000"),
    (EDIT, "prompt", "x" * 2001, "multipart", "prompt is 2001 characters long"),
    (CREATE, "location", "x" * 2001, "json", "location is 2001 characters long"),
    (EDIT, "weather", "x" * 2001, "json", "weather is 2001 characters long"),
    (CREATE, "lighting", 3, "json", "lighting must be text"),
    (CREATE, "shotType", 3, "json", "shotType must be text"),
    (CREATE, "replyUrl", "ftp://example.com/hook", "json", "replyUrl must be an http or https"),
    (CREATE, "replyUrl", "example.com/hook", "json", "replyUrl must be an http or https"),
    (CREATE, "replyUrl", "http://", "form", "replyUrl must be an http or https"),
    (CREATE, "replyRef", {"a": 1}, "json", "replyRef must be text"),
    (CREATE, "email", "nobody", "json", "email must be an email address"),
    (CREATE, "referenceAssetId", "", "json", "referenceAssetId must not be empty"),
    (EDIT, "referenceAssetId", 7, "json", "referenceAssetId must be text"),
    (EDIT, "referenceAssetId2", "", "json", "referenceAssetId2 must not be empty"),
    (UPSCALE, "jobId", "", "json", "jobId is required"),
]


@pytest.mark.parametrize(
    ("route", "field", "value", "how", "words"),
    WRONG,
    ids=[f"{r.split('/')[1]}-{f}-{v!r:.12}-{h}" for r, f, v, h, _ in WRONG],
)
def test_a_wrong_value_is_refused_naming_the_field(
    emulator: Emulator, route: str, field: str, value: Any, how: str, words: str
) -> None:
    body = {**minimal(route), field: value}
    assert_refused(post(emulator, route, body, how), field, words)


@pytest.mark.parametrize(
    ("route", "body", "words"),
    [
        (CREATE, {}, "Parameter prompt is required"),
        (CREATE, {"aspectRatio": "1:1"}, "Parameter prompt is required"),
        (EDIT, {"prompt": "x"}, "Parameter referenceAssetId is required"),
        (EDIT, {"referenceAssetId": PLACEHOLDER_REF}, "Parameter prompt is required"),
        (UPSCALE, {"pollForResult": 1}, "Parameter jobId is required"),
    ],
)
@pytest.mark.parametrize("how", ["json", "multipart"])
def test_a_missing_required_field_is_refused(
    emulator: Emulator, route: str, body: dict, words: str, how: str
) -> None:
    assert_refused(post(emulator, route, body, how), words)


@pytest.mark.parametrize(
    ("route", "extra", "words"),
    [
        (CREATE, {"style": "pop", "model": "flux-premium"}, "style works only with model flux"),
        (CREATE, {"style": "base", "model": "nano-banana"}, "style works only with model flux"),
        (
            CREATE,
            {"reference_strength": 40, "model": "nano-banana"},
            "reference_strength works only with model flux",
        ),
        (
            EDIT,
            {"referenceAssetId3": PLACEHOLDER_REF, "model": "flux"},
            "referenceAssetId3 does not work with model flux",
        ),
        (EDIT, {"referenceAssetId3": PLACEHOLDER_REF}, "referenceAssetId3 does not work"),
    ],
)
def test_model_bound_fields_are_refused_with_the_wrong_model(
    emulator: Emulator, route: str, extra: dict, words: str
) -> None:
    assert_refused(post(emulator, route, {**minimal(route), **extra}), words)


def test_a_refused_request_spends_nothing_and_starts_nothing(
    emulator: Emulator, client: ltx.Client
) -> None:
    before = client.balance(DEMO_EMAIL)
    assert_refused(post(emulator, CREATE, {"prompt": "x", "referenceStrength": 40}))
    assert_refused(post(emulator, CREATE, {"prompt": "x", "seed": "abc"}))
    assert client.balance(DEMO_EMAIL) == before
    available = requests.get(
        emulator.base_url + "/scheduler/available",
        headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        timeout=10,
    ).json()
    assert available["executing"] == []


# ---------------------------------------------------------------- what is accepted


@pytest.mark.parametrize(
    ("route", "extra", "how"),
    [
        (CREATE, {"prompt": "x" * 2000}, "json"),
        (CREATE, {"prompt": "é" * 2000}, "multipart"),
        (CREATE, {"style": "base"}, "json"),
        (CREATE, {"style": "3d_cartoon", "reference_strength": 0}, "json"),
        (CREATE, {"reference_strength": 100, "model": "flux"}, "form"),
        (CREATE, {"seed": 0}, "json"),
        (CREATE, {"seed": 4294967295}, "multipart"),
        (CREATE, {"seed": 7.0}, "json"),  # JSON has one number type: 7.0 is 7
        (CREATE, {"shotType": "", "replyRef": ""}, "json"),
        (CREATE, {"location": "x" * 2000, "weather": "rain", "lighting": "dusk"}, "json"),
        (CREATE, {"model": "nano-banana", "shotAngle": "birds-eye-view"}, "json"),
        (CREATE, {"maxJobs": 100, "email": DEMO_EMAIL}, "form"),
        (CREATE, {"replyUrl": "https://example.com/hook?x=1", "replyRef": "row-7"}, "json"),
        (EDIT, {"referenceAssetId3": PLACEHOLDER_REF, "model": "flux-premium"}, "json"),
        (EDIT, {"referenceAssetId2": PLACEHOLDER_REF, "aspectRatio": "9:16"}, "multipart"),
        (EDIT, {"shotType": "over the shoulder, slightly tilted"}, "json"),
    ],
)
def test_documented_values_are_accepted(
    emulator: Emulator, route: str, extra: dict, how: str
) -> None:
    answer = post(emulator, route, {**minimal(route), **extra}, how)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == JOB_CREATED


# ---------------------------------------------------------------- through the app's own client


def test_a_client_typo_is_refused_through_the_apps_own_client(client: ltx.Client) -> None:
    request = CreateRequest(prompt="A fox", reference_strength=40)
    sent = request.payload()
    typo = {k: v for k, v in sent.items() if k != "reference_strength"}
    with pytest.raises(api.BadRequest, match="Unknown parameter referenceStrength") as caught:
        client.submit(request.endpoint, {**typo, "referenceStrength": 40})
    assert caught.value.status == 400


def test_the_clients_own_requests_pass_the_emulators_rules(client: ltx.Client) -> None:
    full = CreateRequest(
        prompt="A fox",
        aspect_ratio="1:1",
        style="anime",
        reference_strength=30,
        seed=3,
        shot_type="close-up",
        shot_angle="low-angle",
        location="forest",
        weather="fog",
        lighting="dawn",
        max_jobs=3,
        reply_ref="row-1",
        email=DEMO_EMAIL,
    )
    assert send(client, full).job_id
    edit = EditRequest(
        prompt="brighter",
        reference_asset_id=PLACEHOLDER_REF,
        reference_asset_id2=PLACEHOLDER_REF,
        reference_asset_id3=PLACEHOLDER_REF,
        model="flux-premium",
    )
    assert send(client, edit).job_id
