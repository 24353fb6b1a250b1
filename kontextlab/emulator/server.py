"""The HTTP side: routing, body parsing (JSON, multipart, form), faults, signed downloads.
The BFL routes are in bfl_routes.py; both families are always served."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from kontextlab.emulator import answers, bfl_routes
from kontextlab.emulator.config import API_PREFIX, BFL_PREFIX, CONTROL_PREFIX, FILES_PREFIX
from kontextlab.emulator.faults import OUTCOME_KINDS, Fault
from kontextlab.emulator.records import ApiFailure, Tenant
from kontextlab.emulator.world import World

log = logging.getLogger(__name__)

# (method, path pattern after the API prefix, route key, handler name)
ROUTES = [
    ("POST", r"images/flux-create", "images/flux-create", "generate_create"),
    ("POST", r"images/create", "images/create", "generate_create"),
    ("POST", r"images/flux-edit", "images/flux-edit", "generate_edit"),
    ("POST", r"images/edit", "images/edit", "generate_edit"),
    ("POST", r"images/upscale", "images/upscale", "generate_upscale"),
    ("POST", r"assets/?", "assets/", "upload"),
    ("GET", r"assets/?", "assets/", "list_assets"),
    ("GET", r"assets/(?P<arg>.+)", "assets/{jobId}", "job_status"),
    ("GET", r"accounts/?", "accounts", "accounts"),
    ("GET", r"accounts/(?P<arg>.+)", "accounts/{email}", "account"),
    ("GET", r"scheduler/?", "scheduler", "running_jobs"),
    ("GET", r"scheduler/available", "scheduler/available", "scheduler"),
    ("DELETE", r"scheduler/(?P<arg>.+)", "scheduler/{jobId}", "cancel"),
]
COMPILED = [(m, re.compile(p + r"$"), key, name) for m, p, key, name in ROUTES]
HTML_ERROR = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
)


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], bool]:
    """JSON, multipart/form-data or urlencoded → (the fields, whether it was a form)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return parse_multipart(content_type, body), True
    if kind == "application/x-www-form-urlencoded":
        text = body.decode("utf-8", "replace")
        return unique_fields(parse_qsl(text, keep_blank_values=True)), True
    if kind not in ("", "application/json"):
        raise ApiFailure(400, f"Content-Type {kind} is not JSON, multipart/form-data or a form.")
    if not body.strip():
        return {}, False
    try:
        data = json.loads(body, object_pairs_hook=unique_fields)
    except ValueError as exc:
        raise ApiFailure(400, "The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ApiFailure(400, "The request body must be a JSON object.")
    return data, False


def unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            raise ApiFailure(400, f"Parameter {name} is given more than once.")
        fields[name] = value
    return fields


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Text parts as strings; file parts as bytes, which no rule accepts."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ApiFailure(400, "The multipart body could not be read.")
    pairs: list[tuple[str, Any]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        # cast: with decode=True a part gives its bytes, or None when it is itself multipart.
        raw = cast("bytes | None", part.get_payload(decode=True)) or b""
        payload: bytes | str = raw
        if not part.get_filename():
            payload = raw.decode(part.get_content_charset() or "utf-8", "replace")
        pairs.append((str(name), payload))
    return unique_fields(pairs)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer
    lose_answer = False  # a "lost" fault: handle the request, then hang up without answering
    outcome: Fault | None = None  # an outcome fault: the job this request makes fails

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read emu.requests
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- plumbing

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        if self.lose_answer:
            self.close_connection = True
            return
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", headers)

    def _handle(self, method: str) -> None:
        self.lose_answer = False
        self.outcome = None
        body = self._read_body()
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        try:
            if url.path.startswith(CONTROL_PREFIX) and self.server.emulator.config.test_mode:
                self._json(200, self.server.control(url.path[len(CONTROL_PREFIX) :], body))
            elif url.path.startswith(FILES_PREFIX):
                self._file(method, url.path[len(FILES_PREFIX) :], query)
            elif url.path.startswith(BFL_PREFIX) and not url.path.startswith(API_PREFIX):
                bfl_routes.handle(self, method, url.path, query, body)
            else:
                self._api(method, url.path, query, body)
        except ApiFailure as failure:
            self._json(failure.status, failure.body(), failure.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client hung up before its answer: nothing to say
        except Exception as exc:  # an emulator bug answers 500 like a real server would
            log.exception("emulator error")
            self._json(500, {"error": f"Internal error: {exc}", "code": 500})

    def _file(self, method: str, key: str, query: dict[str, str]) -> None:
        self.server.record(method, "_files/{id}", self.path)
        if self._fault(method, "_files/{id}"):
            return
        world = self.server.world
        data, mime = world.open_file(key, query.get("exp", ""), query.get("sig", ""))
        self._send(200, data, mime, {"Cache-Control": "private, max-age=60"})

    def _api(self, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        prefix = API_PREFIX + "/"
        rest = path[len(prefix) :] if path.startswith(prefix) else None
        match = next(
            (
                (key, name, m)
                for meth, rx, key, name in COMPILED
                if meth == method and rest is not None and (m := rx.match(rest))
            ),
            None,
        )
        if match is None:
            self.server.record(method, "?", self.path)
            raise ApiFailure(404, f"No route for {method} {path}")
        key, name, m = match
        self.server.record(method, key, self.path)
        if self._fault(method, key):
            return
        tenant = self.server.world.tenant(self.headers.get("Authorization"))
        arg = unquote(m.groupdict().get("arg") or "")
        getattr(self, "route_" + name)(tenant, arg, query, body)

    def _fault(self, method: str, key: str, *, bfl: bool = False) -> bool:
        """Answer with a scripted fault if one is due (in BFL's error shape with `bfl`); True
        when the answer is sent. An outcome fault is kept in `self.outcome` for the route."""
        fault = self.server.emulator.faults.take(method, key)
        if fault is None:
            return False
        if fault.kind in OUTCOME_KINDS:
            self.outcome = fault
            return False
        if fault.kind == "slow":
            self.server.stopping.wait(fault.delay)
            return False
        if fault.kind == "lost":
            self.lose_answer = True
            return False
        self._answer_fault(fault, bfl)
        return True

    def _answer_fault(self, fault: Fault, bfl: bool = False) -> None:
        if fault.kind == "drop":
            self.close_connection = True
        elif fault.kind == "html":
            self._send(fault.status, HTML_ERROR, "text/html; charset=utf-8")
        elif fault.kind == "malformed":
            self._send(200, b'{"id": "' if bfl else b'{"jobId": "email:', "application/json")
        elif bfl:
            busy = fault.kind == "busy"
            detail = "Too many active tasks." if busy else "Service temporarily unavailable"
            headers = {"Retry-After": str(fault.retry_after)} if busy else None
            self._json(429 if busy else fault.status, {"detail": detail}, headers)
        elif fault.kind == "busy":
            body = {"error": "All accounts are busy.", "executingJobs": [], "code": 429}
            self._json(429, body, {"Retry-After": str(fault.retry_after)})
        else:
            message = "Service temporarily unavailable"
            self._json(fault.status, {"error": message, "code": fault.status})

    # -- routes

    def _generate(self, kind: str, tenant: Tenant, body: bytes) -> None:
        world = self.server.world
        fields, form = parse_body(self.headers.get("Content-Type", ""), body)
        values = world.check(kind, fields, form=form)
        fail = (self.outcome.message or "Generation failed") if self.outcome else None
        job = world.submit(tenant, kind, values, fail)
        ticks = values.get("pollForResult", 0)
        tick = self.server.emulator.config.poll_tick
        for _ in range(ticks):
            if self.server.stopping.wait(tick):
                break
            if world.finished(job):
                self._json(200, answers.job_view(world, job))
                return
        self._json(200, answers.short_view(job))

    def route_generate_create(
        self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes
    ) -> None:
        self._generate("create", tenant, body)

    def route_generate_edit(
        self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes
    ) -> None:
        self._generate("edit", tenant, body)

    def route_generate_upscale(
        self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes
    ) -> None:
        self._generate("upscale", tenant, body)

    def route_upload(self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes) -> None:
        self._json(200, self.server.world.upload(tenant, query, body))

    def route_list_assets(
        self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes
    ) -> None:
        self._json(200, answers.list_assets(self.server.world, tenant, query))

    def route_job_status(
        self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes
    ) -> None:
        world = self.server.world
        self._json(200, answers.job_view(world, world.find_job(tenant, arg)))

    def route_accounts(self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes) -> None:
        self._json(200, answers.accounts_view(tenant))

    def route_account(self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes) -> None:
        self._json(200, answers.account_view(tenant, arg))

    def route_running_jobs(
        self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes
    ) -> None:
        self._json(200, answers.running_jobs(self.server.world, tenant))

    def route_scheduler(self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes) -> None:
        self._json(200, answers.scheduler_view(self.server.world, tenant))

    def route_cancel(self, tenant: Tenant, arg: str, query: dict[str, str], body: bytes) -> None:
        self.server.world.cancel(tenant, arg)
        self._send(204, b"", "application/json")


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Any):
        super().__init__(address, Handler)
        self.emulator = emulator
        self.world: World = emulator.world
        self.stopping = threading.Event()
        self.record: Callable[[str, str, str], None] = emulator._record

    def control(self, action: str, body: bytes) -> dict[str, Any]:
        """Test-mode knobs over HTTP, for a standalone emulator driven by another process."""
        data = json.loads(body or b"{}")
        emu = self.emulator
        if action == "faults":
            emu.faults.add(data.pop("route"), data.pop("kind", "status"), **data)
        elif action == "faults/clear":
            emu.faults.clear()
        elif action == "fail-next-job":
            emu.fail_next_job(data.get("message", "Generation failed"))
        elif action == "clock":
            emu.advance(float(data.get("advance", 0)))
        elif action == "credits":
            emu.set_credits(data["email"], int(data["credits"]))
        elif action == "bfl-credits":
            emu.set_bfl_credits(float(data["credits"]), data.get("key"))
        else:
            raise ApiFailure(404, f"Unknown control action {action}")
        return {"ok": True}
