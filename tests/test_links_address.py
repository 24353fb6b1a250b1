"""A base URL with a wrong path is named as such, not read as "no accounts"."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import responses

from kontextlab import providers as api
from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig
from kontextlab.providers import ltx

BASE = "https://api.useapi.net/v1/ltxstudio"
WRONG = "https://api.useapi.net/v1/wrong"
NO_ACCOUNTS = {"error": "No accounts configured.", "code": 404}
HTML_404 = "<html><head><title>404 Not Found</title></head><body>nginx</body></html>"
ROUTER_404 = {"error": "Not found", "code": 404}  # a router that speaks the API's error format
AVAILABLE = {"executing": [], "available": []}


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def client(base: str = BASE) -> ltx.Client:
    return ltx.Client(base, "tok", max_retries=0)


def probed(mock: responses.RequestsMock) -> bool:
    return any(c.request.url.endswith("/scheduler/available") for c in mock.calls)


def test_the_vendors_no_accounts_answer_is_no_accounts(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, f"{BASE}/accounts", json=NO_ACCOUNTS, status=404)
    mock.add(responses.GET, f"{BASE}/scheduler/available", json=AVAILABLE)
    assert client().accounts() == {}
    assert probed(mock)


@pytest.mark.parametrize(
    "answer",
    [
        {"body": HTML_404, "content_type": "text/html"},
        {"body": "Not Found", "content_type": "text/plain"},
        {"body": "", "content_type": "text/plain"},
        {"json": {"message": "Route not found", "statusCode": 404}},
        {"json": {"error": {"code": "NOT_FOUND"}, "code": 404}},
        {"json": ["not", "found"]},
    ],
    ids=["html page", "text", "empty", "other json", "error not a sentence", "a list"],
)
def test_a_404_that_is_not_the_vendors_error_is_a_wrong_address(
    mock: responses.RequestsMock, answer: dict
) -> None:
    mock.add(responses.GET, f"{WRONG}/accounts", status=404, **answer)
    with pytest.raises(api.WrongAddress) as caught:
        client(WRONG).accounts()
    assert not probed(mock), "the body alone tells"
    assert caught.value.user_message == (
        f"The API address {WRONG} answered “not found” for every request; check USEAPI_BASE_URL."
    )


def test_the_vendors_shape_on_every_route_is_a_wrong_address(
    mock: responses.RequestsMock,
) -> None:
    for route in ("accounts", "scheduler/available"):
        mock.add(responses.GET, f"{WRONG}/{route}", json=ROUTER_404, status=404)
    with pytest.raises(api.WrongAddress):
        client(WRONG).accounts()
    assert probed(mock)


def test_a_probe_that_fails_otherwise_leaves_it_at_no_accounts(
    mock: responses.RequestsMock,
) -> None:
    mock.add(responses.GET, f"{BASE}/accounts", json=NO_ACCOUNTS, status=404)
    mock.add(responses.GET, f"{BASE}/scheduler/available", body="oops", status=503)
    assert client().accounts() == {}


def test_accounts_are_read_as_before(mock: responses.RequestsMock) -> None:
    accounts = {"a@b.c": {"email": "a@b.c", "maxJobs": 1}}
    mock.add(responses.GET, f"{BASE}/accounts", json=accounts)
    assert client().accounts() == accounts
    assert not probed(mock)


def test_the_address_is_named_without_credentials(mock: responses.RequestsMock) -> None:
    secret_base = "https://deployer:hunter2@api.useapi.net/v1/wrong"
    mock.add(responses.GET, re.compile(r".*/v1/wrong/accounts"), body=HTML_404, status=404)
    with pytest.raises(api.WrongAddress) as caught:
        client(secret_base).accounts()
    for text in (caught.value.user_message, str(caught.value)):
        assert "hunter2" not in text and "deployer" not in text and WRONG in text


def test_a_wrong_address_is_a_plain_sentence_not_a_missing_job() -> None:
    error = api.WrongAddress(WRONG)
    assert isinstance(error, api.ProviderError) and not isinstance(error, api.NotFound)


# ---------------------------------------------------------------- against the emulator


@pytest.fixture
def no_accounts() -> Iterator[str]:
    emulator = Emulator(EmulatorConfig(job_seconds=0.1, poll_tick=0.05, accounts=()))
    yield emulator.start()
    emulator.stop()


def test_the_emulator_without_accounts_has_none(no_accounts: str) -> None:
    assert ltx.Client(no_accounts, DEMO_TOKEN).accounts() == {}


def test_the_emulator_under_a_wrong_path_is_a_wrong_address(no_accounts: str) -> None:
    wrong = no_accounts.replace("/v1/ltxstudio", "/v1/wrong")
    with pytest.raises(api.WrongAddress) as caught:
        ltx.Client(wrong, DEMO_TOKEN).accounts()
    assert wrong in caught.value.user_message
