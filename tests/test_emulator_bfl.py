"""The emulator's BFL routes over plain HTTP, as BFL.md documents them: submit, follow,
credits, every status and error, seeds, the sample URL's lifetime, faults.

Plain `requests`, never the app's BFL client: a contract test of the emulator must not move
when the client does. Waits follow the emulator's clock (`advance`): jobs here take 30 s of
it, so nothing finishes until a test says so.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import numpy as np
import pytest
import requests
from PIL import Image

from kontextlab.emulator import DEMO_BFL_KEY, DEMO_TOKEN, Emulator, EmulatorConfig
from kontextlab.emulator.config import DEMO_CREDITS
from kontextlab.emulator.renderer import size_for

JOB = 30.0  # seconds of the emulator's clock a task takes
DEADLINE = 60.0  # wall seconds for one request: only a bug waits this long
KEY = {"x-key": DEMO_BFL_KEY}
ANSWER = {"id", "status", "result", "progress", "details"}
RESULT = {"sample", "prompt", "seed", "start_time", "end_time", "duration"}


@pytest.fixture
def emu(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    knobs = {"job_seconds": JOB, "provider": "bfl", **getattr(request, "param", {})}
    emulator = Emulator(EmulatorConfig(**knobs))
    emulator.start()
    yield emulator
    emulator.stop()


def submit(
    emu: Emulator, body: Any, model: str = "pro", headers: dict[str, str] | None = None
) -> requests.Response:
    url = f"{emu.base_url}/v1/flux-kontext-{model}"
    return requests.post(
        url, json=body, headers=KEY if headers is None else headers, timeout=DEADLINE
    )


def follow(emu: Emulator, answer: requests.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    got = requests.get(answer.json()["polling_url"], headers=KEY, timeout=DEADLINE)
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    assert set(body) == ANSWER
    return body


def finish(emu: Emulator, answer: requests.Response) -> dict[str, Any]:
    emu.advance(JOB + 1)
    body = follow(emu, answer)
    assert body["status"] == "Ready", body
    return body


def picture(emu: Emulator, body: Any, model: str = "pro") -> Image.Image:
    ready = finish(emu, submit(emu, body, model))
    got = requests.get(ready["result"]["sample"], timeout=DEADLINE)
    assert got.status_code == 200
    return Image.open(io.BytesIO(got.content))


def credits(emu: Emulator) -> float:
    got = requests.get(f"{emu.base_url}/v1/credits", headers=KEY, timeout=DEADLINE)
    assert got.status_code == 200
    assert set(got.json()) == {"credits"}
    return float(got.json()["credits"])


def png(size: tuple[int, int], color: tuple[int, int, int] = (200, 30, 30)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def detail(answer: requests.Response, status: int) -> Any:
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"detail"}
    return answer.json()["detail"]


def refused(answer: requests.Response) -> list[tuple[str, ...]]:
    """The locations a 422 names, after checking FastAPI's shape."""
    items = detail(answer, 422)
    assert isinstance(items, list) and items
    for item in items:
        assert set(item) == {"loc", "msg", "type"}
        assert isinstance(item["msg"], str) and isinstance(item["type"], str)
    return [tuple(item["loc"]) for item in items]


# ---------------------------------------------------------------- submit and follow


@pytest.mark.parametrize(("model", "cost"), [("pro", 4), ("max", 8)])
def test_a_submit_answers_id_polling_url_and_cost(emu: Emulator, model: str, cost: int) -> None:
    before = credits(emu)
    answer = submit(emu, {"prompt": "a lighthouse at dusk"}, model)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"id", "polling_url", "cost"}
    assert body["cost"] == cost
    assert body["polling_url"] == f"{emu.bfl_base_url}/v1/get_result?id={body['id']}"
    assert credits(emu) == before - cost


def test_a_task_is_pending_with_progress_then_ready(emu: Emulator) -> None:
    answer = submit(emu, {"prompt": "a lighthouse at dusk", "seed": 42})
    first = follow(emu, answer)
    assert first["status"] == "Pending"
    assert first["result"] is None and first["details"] is None
    emu.advance(JOB / 2)
    halfway = follow(emu, answer)
    assert halfway["status"] == "Pending"
    assert 0.4 <= halfway["progress"] <= 0.6
    emu.advance(JOB)
    ready = follow(emu, answer)
    assert ready["status"] == "Ready"
    assert ready["id"] == answer.json()["id"]
    assert set(ready["result"]) == RESULT
    result = ready["result"]
    assert result["seed"] == 42
    assert result["prompt"] == "a lighthouse at dusk"
    assert result["start_time"] <= result["end_time"]
    assert result["duration"] >= JOB
    assert result["sample"].startswith(emu.bfl_base_url + "/_files/")


def test_the_older_get_result_form_answers_the_same(emu: Emulator) -> None:
    answer = submit(emu, {"prompt": "a lighthouse at dusk", "seed": 1})
    emu.advance(JOB + 1)
    task_id = answer.json()["id"]
    old = requests.get(
        f"{emu.base_url}/v1/get_result", params={"id": task_id}, headers=KEY, timeout=DEADLINE
    )
    assert old.status_code == 200
    assert old.json() == follow(emu, answer)


def test_without_a_seed_the_emulator_picks_one_and_reports_it(emu: Emulator) -> None:
    ready = finish(emu, submit(emu, {"prompt": "a lighthouse at dusk"}))
    assert isinstance(ready["result"]["seed"], int)


# ---------------------------------------------------------------- the picture


def test_same_prompt_and_seed_draw_the_same_picture(emu: Emulator) -> None:
    body = {"prompt": "a forest lake at night", "seed": 7}
    first = finish(emu, submit(emu, body))["result"]["sample"]
    second = finish(emu, submit(emu, body))["result"]["sample"]
    other = finish(emu, submit(emu, {**body, "seed": 8}))["result"]["sample"]
    a, b, c = (requests.get(url, timeout=DEADLINE).content for url in (first, second, other))
    assert first != second  # each task has its own URL...
    assert a == b  # ...to the same picture
    assert a != c


@pytest.mark.parametrize("ratio", ["1:1", "16:9", "9:16", "21:9", "9:21", "4:3", "2:3"])
def test_the_picture_has_the_shape_asked(emu: Emulator, ratio: str) -> None:
    img = picture(emu, {"prompt": "dunes", "seed": 3, "aspect_ratio": ratio})
    width, height = img.size
    w, h = (int(n) for n in ratio.split(":"))
    assert abs(width / height - w / h) < 0.05
    assert width % 32 == 0 and height % 32 == 0
    assert 0.9e6 < width * height < 1.2e6


def test_the_sizes_are_about_a_megapixel_in_steps_of_32() -> None:
    assert size_for("1:1") == (1024, 1024)
    assert size_for("21:9") == (1568, 672)
    for w in range(9, 22):
        for h in range(9, 22):
            width, height = size_for(f"{w}:{h}")
            assert width % 32 == 0 and height % 32 == 0
            assert 0.9e6 < width * height < 1.15e6


def test_output_format_png_by_default_and_jpeg_when_asked(emu: Emulator) -> None:
    assert picture(emu, {"prompt": "snow", "seed": 1}).format == "PNG"
    assert picture(emu, {"prompt": "snow", "seed": 1, "output_format": "png"}).format == "PNG"
    assert picture(emu, {"prompt": "snow", "seed": 1, "output_format": "jpeg"}).format == "JPEG"


def test_an_input_image_is_edited_in_its_own_shape(emu: Emulator) -> None:
    red = png((320, 180))
    img = picture(emu, {"prompt": "make it brighter", "seed": 5, "input_image": red})
    assert img.size == size_for("16:9")
    r, g, b = np.asarray(img.convert("RGB"), dtype=np.float64).mean(axis=(0, 1))
    assert r > 2 * g and r > 2 * b  # drawn from the red source, not from the prompt alone


def test_an_input_image_with_an_aspect_ratio_takes_the_ratio(emu: Emulator) -> None:
    body = {"prompt": "wider", "seed": 5, "input_image": png((200, 200)), "aspect_ratio": "9:16"}
    assert picture(emu, body).size == size_for("9:16")


def test_the_emulators_own_sample_url_serves_as_an_input_image(emu: Emulator) -> None:
    sample = finish(emu, submit(emu, {"prompt": "a city", "seed": 2}))["result"]["sample"]
    answer = submit(emu, {"prompt": "at night", "input_image": sample})
    assert answer.status_code == 200


def test_the_picture_carries_the_demo_mark(emu: Emulator) -> None:
    # The mark is a dark box at the bottom right: the same picture of a bright scene without
    # it would be bright there.
    img = picture(emu, {"prompt": "snow", "seed": 9}).convert("L")
    corner = img.crop((img.width - 60, img.height - 40, img.width - 30, img.height - 25))
    assert np.asarray(corner).mean() < 170


# ---------------------------------------------------------------- the sample URL


def test_the_sample_url_expires_after_ten_minutes_of_the_emulators_clock(emu: Emulator) -> None:
    sample = finish(emu, submit(emu, {"prompt": "a lighthouse", "seed": 1}))["result"]["sample"]
    emu.advance(590)
    assert requests.get(sample, timeout=DEADLINE).status_code == 200
    emu.advance(11)
    assert requests.get(sample, timeout=DEADLINE).status_code == 403


def test_the_task_keeps_its_sample_url_while_it_lasts(emu: Emulator) -> None:
    answer = submit(emu, {"prompt": "a lighthouse", "seed": 1})
    first = finish(emu, answer)["result"]["sample"]
    emu.advance(60)
    assert follow(emu, answer)["result"]["sample"] == first


# ---------------------------------------------------------------- failures of a task


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("error", "Error"),
        ("request-moderated", "Request Moderated"),
        ("content-moderated", "Content Moderated"),
    ],
)
def test_an_outcome_fault_ends_the_task_in_that_status(
    emu: Emulator, kind: str, status: str
) -> None:
    emu.faults.add("flux-kontext-pro", kind)
    answer = submit(emu, {"prompt": "a lighthouse"})
    assert answer.status_code == 200
    assert follow(emu, answer)["status"] == "Pending"
    emu.advance(JOB + 1)
    body = follow(emu, answer)
    assert body["status"] == status
    assert body["result"] is None
    if kind == "error":
        assert body["details"] is None
    else:
        assert body["details"] == {"Moderation Reasons": ["Emulated safety filter"]}
    # The next task is fine.
    assert finish(emu, submit(emu, {"prompt": "a lighthouse"}))["status"] == "Ready"


def test_a_moderation_fault_names_its_reason(emu: Emulator) -> None:
    emu.faults.add("flux-kontext-max", "content-moderated", message="Derivative Works Filter")
    answer = submit(emu, {"prompt": "a famous mouse"}, "max")
    emu.advance(JOB + 1)
    assert follow(emu, answer)["details"] == {"Moderation Reasons": ["Derivative Works Filter"]}


def test_an_unknown_id_is_task_not_found(emu: Emulator) -> None:
    got = requests.get(
        f"{emu.base_url}/v1/get_result", params={"id": "nope"}, headers=KEY, timeout=DEADLINE
    )
    assert got.status_code == 200
    assert got.json() == {
        "id": "nope",
        "status": "Task not found",
        "result": None,
        "progress": None,
        "details": None,
    }


@pytest.mark.parametrize("emu", [{"record_lifetime": 3600.0}], indirect=True)
def test_an_expired_task_is_task_not_found(emu: Emulator) -> None:
    answer = submit(emu, {"prompt": "a lighthouse", "seed": 1})
    finish(emu, answer)
    emu.advance(3600)
    assert follow(emu, answer)["status"] == "Task not found"


@pytest.mark.parametrize("emu", [{"bfl_keys": ("key-a", "key-b")}], indirect=True)
def test_another_keys_task_is_task_not_found(emu: Emulator) -> None:
    answer = submit(emu, {"prompt": "a lighthouse"}, headers={"x-key": "key-a"})
    url = answer.json()["polling_url"]
    mine = requests.get(url, headers={"x-key": "key-a"}, timeout=DEADLINE).json()
    theirs = requests.get(url, headers={"x-key": "key-b"}, timeout=DEADLINE).json()
    assert mine["status"] == "Pending"
    assert theirs["status"] == "Task not found"


def test_get_result_without_an_id_is_a_422_about_the_query(emu: Emulator) -> None:
    got = requests.get(f"{emu.base_url}/v1/get_result", headers=KEY, timeout=DEADLINE)
    assert refused(got) == [("query", "id")]


# ---------------------------------------------------------------- auth, credits, limits


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-key": "wrong"}, {"Authorization": f"Bearer {DEMO_TOKEN}"}, {"x-key": DEMO_TOKEN}],
)
def test_every_route_refuses_a_missing_or_wrong_key_with_403(
    emu: Emulator, headers: dict[str, str]
) -> None:
    before = credits(emu)
    assert isinstance(detail(submit(emu, {"prompt": "x"}, headers=headers), 403), str)
    assert isinstance(detail(submit(emu, {"prompt": "x"}, "max", headers), 403), str)
    for path in ("/v1/credits", "/v1/get_result?id=x"):
        got = requests.get(emu.base_url + path, headers=headers, timeout=DEADLINE)
        assert isinstance(detail(got, 403), str)
    assert credits(emu) == before


def test_credits_start_from_the_config_and_the_demo_never_runs_out() -> None:
    assert EmulatorConfig().bfl_credits == 10_000
    assert EmulatorConfig.demo().bfl_credits == DEMO_CREDITS


def test_a_submit_without_enough_credits_is_a_402_and_makes_nothing(emu: Emulator) -> None:
    emu.set_bfl_credits(7)
    assert isinstance(detail(submit(emu, {"prompt": "x"}, "max"), 402), str)
    assert credits(emu) == 7
    assert submit(emu, {"prompt": "x"}).status_code == 200  # pro costs 4
    assert credits(emu) == 3
    assert isinstance(detail(submit(emu, {"prompt": "x"}), 402), str)
    assert credits(emu) == 3


@pytest.mark.parametrize("emu", [{"bfl_max_tasks": 2}], indirect=True)
def test_over_the_active_task_limit_a_submit_is_a_429(emu: Emulator) -> None:
    assert submit(emu, {"prompt": "one"}).status_code == 200
    assert submit(emu, {"prompt": "two"}, "max").status_code == 200
    before = credits(emu)
    assert isinstance(detail(submit(emu, {"prompt": "three"}), 429), str)
    assert credits(emu) == before
    emu.advance(JOB + 1)
    assert submit(emu, {"prompt": "three"}).status_code == 200


@pytest.mark.parametrize("emu", [{"bfl_max_tasks_max": 1}], indirect=True)
def test_max_has_a_lower_limit_of_its_own(emu: Emulator) -> None:
    assert submit(emu, {"prompt": "one"}, "max").status_code == 200
    detail(submit(emu, {"prompt": "two"}, "max"), 429)
    assert submit(emu, {"prompt": "two"}, "pro").status_code == 200


def test_the_default_limits_are_24_tasks_and_6_of_max() -> None:
    config = EmulatorConfig()
    assert (config.bfl_max_tasks, config.bfl_max_tasks_max) == (24, 6)


# ---------------------------------------------------------------- validation (422)


def test_unknown_fields_are_refused_each_by_name(emu: Emulator) -> None:
    body = {"prompt": "x", "style": "cinematic", "aspectRatio": "16:9", "pollForResult": 3}
    locs = refused(submit(emu, body))
    assert sorted(locs) == [("body", "aspectRatio"), ("body", "pollForResult"), ("body", "style")]
    assert all(item["type"] == "extra_forbidden" for item in submit(emu, body).json()["detail"])


def test_a_refused_submit_makes_no_task_and_spends_nothing(emu: Emulator) -> None:
    before = credits(emu)
    refused(submit(emu, {"prompt": "x", "seed": -1}))
    assert credits(emu) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "prompt"),
        ({"prompt": None}, "prompt"),
        ({"prompt": 5}, "prompt"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "x" * 10_001}, "prompt"),
        ({"prompt": "x", "seed": "7"}, "seed"),
        ({"prompt": "x", "seed": True}, "seed"),
        ({"prompt": "x", "seed": 1.5}, "seed"),
        ({"prompt": "x", "seed": -1}, "seed"),
        ({"prompt": "x", "aspect_ratio": "22:9"}, "aspect_ratio"),
        ({"prompt": "x", "aspect_ratio": "9:22"}, "aspect_ratio"),
        ({"prompt": "x", "aspect_ratio": "wide"}, "aspect_ratio"),
        ({"prompt": "x", "aspect_ratio": "0:1"}, "aspect_ratio"),
        ({"prompt": "x", "output_format": "webp"}, "output_format"),
        ({"prompt": "x", "output_format": "PNG"}, "output_format"),
        ({"prompt": "x", "prompt_upsampling": "yes"}, "prompt_upsampling"),
        ({"prompt": "x", "prompt_upsampling": 1}, "prompt_upsampling"),
        ({"prompt": "x", "safety_tolerance": 7}, "safety_tolerance"),
        ({"prompt": "x", "safety_tolerance": -1}, "safety_tolerance"),
        ({"prompt": "x", "webhook_url": "ftp://example.com/hook"}, "webhook_url"),
        ({"prompt": "x", "webhook_url": "not a url"}, "webhook_url"),
        ({"prompt": "x", "webhook_secret": 5}, "webhook_secret"),
        ({"prompt": "x", "input_image": "data:image/png;base64," + png((8, 8))}, "input_image"),
        ({"prompt": "x", "input_image": "not base64!"}, "input_image"),
        ({"prompt": "x", "input_image": base64.b64encode(b"plain text").decode()}, "input_image"),
        ({"prompt": "x", "input_image": "https://example.com/a.png"}, "input_image"),
        ({"prompt": "x", "input_image_2": 12}, "input_image_2"),
        ({"prompt": "x", "input_image": png((8, 8)), "safety_tolerance": 3}, "safety_tolerance"),
    ],
)
def test_a_broken_field_is_a_422_naming_it(emu: Emulator, body: dict[str, Any], field: str) -> None:
    assert refused(submit(emu, body)) == [("body", field)]


def test_every_broken_field_is_named_at_once(emu: Emulator) -> None:
    locs = refused(submit(emu, {"seed": "x", "output_format": "gif", "extra": 1}, "max"))
    assert sorted(locs) == [
        ("body", "extra"),
        ("body", "output_format"),
        ("body", "prompt"),
        ("body", "seed"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {
            "prompt": "x",
            "seed": 0,
            "aspect_ratio": "21:9",
            "output_format": "jpeg",
            "prompt_upsampling": True,
            "safety_tolerance": 6,
            "webhook_url": "https://example.com/hook",
            "webhook_secret": "s3cret",
        },
        {"prompt": "x", "seed": 4_294_967_295, "aspect_ratio": "9:21", "safety_tolerance": 0},
        {"prompt": "x", "seed": 7.0},
        {"prompt": "x", "input_image": png((64, 48)), "safety_tolerance": 2},
        {
            "prompt": "x",
            "input_image": png((64, 48)),
            "input_image_2": png((48, 64)),
            "input_image_3": png((32, 32)),
            "input_image_4": png((32, 32)),
        },
        {"prompt": "x", "seed": None, "aspect_ratio": None, "output_format": None},
    ],
)
def test_every_documented_field_is_accepted(emu: Emulator, body: dict[str, Any]) -> None:
    assert submit(emu, body).status_code == 200


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"prompt"'])
def test_a_body_that_is_no_json_object_is_a_422_about_the_body(emu: Emulator, raw: bytes) -> None:
    got = requests.post(
        f"{emu.base_url}/v1/flux-kontext-pro",
        data=raw,
        headers={**KEY, "Content-Type": "application/json"},
        timeout=DEADLINE,
    )
    assert refused(got) == [("body",)]


def test_unknown_paths_and_methods_answer_like_fastapi(emu: Emulator) -> None:
    got = requests.get(f"{emu.base_url}/v1/flux-pro-1.1", headers=KEY, timeout=DEADLINE)
    assert detail(got, 404) == "Not Found"
    got = requests.get(f"{emu.base_url}/v1/flux-kontext-pro", headers=KEY, timeout=DEADLINE)
    assert detail(got, 405) == "Method Not Allowed"


# ---------------------------------------------------------------- answer faults


def test_a_lost_submit_answer_still_makes_the_task_and_spends(emu: Emulator) -> None:
    emu.faults.add("flux-kontext-pro", "lost")
    before = credits(emu)
    with pytest.raises(requests.ConnectionError):
        submit(emu, {"prompt": "x"})
    assert credits(emu) == before - 4
    assert submit(emu, {"prompt": "x"}).status_code == 200


def test_a_dropped_submit_makes_nothing(emu: Emulator) -> None:
    emu.faults.add("flux-kontext-pro", "drop")
    before = credits(emu)
    with pytest.raises(requests.ConnectionError):
        submit(emu, {"prompt": "x"})
    assert credits(emu) == before


def test_status_and_busy_faults_answer_in_bfls_shape(emu: Emulator) -> None:
    emu.faults.add("flux-kontext-pro", "status", status=502)
    emu.faults.add("flux-kontext-max", "busy", retry_after=4)
    before = credits(emu)
    assert isinstance(detail(submit(emu, {"prompt": "x"}), 502), str)
    busy = submit(emu, {"prompt": "x"}, "max")
    assert isinstance(detail(busy, 429), str)
    assert busy.headers["Retry-After"] == "4"
    assert credits(emu) == before


def test_faults_reach_get_result_and_credits(emu: Emulator) -> None:
    answer = submit(emu, {"prompt": "x"})
    emu.faults.add("get_result", "status", status=503)
    emu.faults.add("credits", "malformed")
    got = requests.get(answer.json()["polling_url"], headers=KEY, timeout=DEADLINE)
    assert detail(got, 503)
    bad = requests.get(f"{emu.base_url}/v1/credits", headers=KEY, timeout=DEADLINE)
    assert bad.status_code == 200
    with pytest.raises(ValueError):
        bad.json()
    assert follow(emu, answer)["status"] == "Pending"
    assert emu.calls("get_result") == 2
    assert emu.calls("flux-kontext-pro", "POST") == 1


# ---------------------------------------------------------------- webhooks


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        size = int(self.headers.get("Content-Length") or 0)
        type(self).received.append(json.loads(self.rfile.read(size)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_finished_task_is_posted_to_its_webhook_once(emu: Emulator) -> None:
    Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
        body = {"prompt": "x", "seed": 3, "webhook_url": hook, "webhook_secret": "s"}
        answer = submit(emu, body)
        finish(emu, answer)
        done = threading.Event()
        for _ in range(int(DEADLINE / 0.05)):
            if emu.webhooks or done.wait(0.05):
                break
        assert emu.webhooks == [(hook, "200")]
        (posted,) = Hook.received
        assert posted["id"] == answer.json()["id"]
        assert posted["status"] == "Ready"
        assert set(posted) == ANSWER
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- one server, both APIs


def test_one_server_serves_both_apis() -> None:
    with Emulator(EmulatorConfig(job_seconds=JOB)) as emu:
        assert emu.base_url == emu.ltx_base_url == emu.bfl_base_url + "/v1/ltxstudio"
        ltx = requests.get(
            f"{emu.ltx_base_url}/accounts",
            headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
            timeout=DEADLINE,
        )
        assert ltx.status_code == 200
        assert submit(emu, {"prompt": "x"}).status_code == 404  # base_url is LTX's here
        got = requests.post(
            f"{emu.bfl_base_url}/v1/flux-kontext-pro",
            json={"prompt": "x"},
            headers=KEY,
            timeout=DEADLINE,
        )
        assert got.status_code == 200


def test_an_unknown_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="provider"):
        EmulatorConfig(provider="openai")


def test_an_outcome_fault_fails_an_ltx_job_too() -> None:
    with Emulator(EmulatorConfig(job_seconds=JOB)) as emu:
        emu.faults.add("images/flux-create", "error", message="Out of GPUs")
        headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
        made = requests.post(
            f"{emu.base_url}/images/flux-create",
            json={"prompt": "x"},
            headers=headers,
            timeout=DEADLINE,
        )
        assert made.status_code == 200
        emu.advance(JOB + 1)
        job_id = requests.utils.quote(made.json()["jobId"], safe="")
        status = requests.get(f"{emu.base_url}/assets/{job_id}", headers=headers, timeout=60)
        assert status.json()["status"] == {"type": "failed", "message": "Out of GPUs"}


@pytest.mark.parametrize("emu", [{"test_mode": True}], indirect=True)
def test_the_control_endpoint_sets_bfl_credits(emu: Emulator) -> None:
    got = requests.post(f"{emu.base_url}/_control/bfl-credits", json={"credits": 2}, timeout=60)
    assert got.status_code == 200
    assert credits(emu) == 2
    detail(submit(emu, {"prompt": "x"}), 402)
