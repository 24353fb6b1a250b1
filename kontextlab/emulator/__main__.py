"""Run the emulator on its own: python -m kontextlab.emulator --port 8799 [knobs].

One server answers both APIs; `--provider bfl` prints the BFL base URL and key first."""

from __future__ import annotations

import argparse
import threading

from kontextlab.emulator import DEMO_BFL_KEY, DEMO_TOKEN, Emulator, EmulatorConfig
from kontextlab.emulator.config import PROVIDERS
from kontextlab.emulator.faults import KINDS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m kontextlab.emulator",
        description="Local emulator of the useapi.net LTX Studio image API and of the BFL "
        "FLUX.1 Kontext API (both on one server).",
    )
    p.add_argument(
        "--provider",
        choices=PROVIDERS,
        default="ltx",
        help="whose base URL and key to print first (both APIs are always served)",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8799, help="0 picks a free port")
    p.add_argument("--job-seconds", type=float, default=6.0, help="how long a job runs")
    p.add_argument("--poll-tick", type=float, default=3.0, help="the pollForResult tick")
    p.add_argument("--artifact-lag", type=float, default=0.0, help="completed, no artifact yet")
    p.add_argument("--token", action="append", help="accepted token (repeatable)")
    p.add_argument("--account", action="append", help="account email (repeatable)")
    p.add_argument("--credits", type=int, default=100_000)
    p.add_argument("--bfl-key", action="append", help="accepted BFL x-key (repeatable)")
    p.add_argument("--bfl-credits", type=float, default=10_000.0, help="each BFL key's credits")
    p.add_argument("--max-jobs", type=int, default=5)
    p.add_argument(
        "--no-max-jobs-override",
        dest="max_jobs_override",
        action="store_false",
        help="a request's maxJobs may lower the account's --max-jobs, never raise it (the demo)",
    )
    p.add_argument(
        "--file-budget-mb", type=float, default=256, help="uploads and pictures held, at most"
    )
    p.add_argument("--url-lifetime", type=float, default=3600.0, help="seconds")
    p.add_argument("--record-lifetime", type=float, default=86400.0, help="seconds")
    p.add_argument("--test-mode", action="store_true", help="enable /_control/ endpoints")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="ROUTE:KIND[:COUNT]",
        help='e.g. "images/flux-create:status:3", "flux-kontext-pro:content-moderated"; '
        f"kinds: {' '.join(KINDS)}",
    )
    return p.parse_args(argv)


def config_from(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        job_seconds=args.job_seconds,
        poll_tick=args.poll_tick,
        artifact_lag=args.artifact_lag,
        tokens=tuple(args.token or (DEMO_TOKEN,)),
        accounts=args.account,
        credits=args.credits,
        max_jobs=args.max_jobs,
        max_jobs_override=args.max_jobs_override,
        file_budget_bytes=int(args.file_budget_mb * 1024 * 1024),
        url_lifetime=args.url_lifetime,
        record_lifetime=args.record_lifetime,
        test_mode=args.test_mode,
        provider=args.provider,
        bfl_keys=tuple(args.bfl_key or (DEMO_BFL_KEY,)),
        bfl_credits=args.bfl_credits,
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    emu = Emulator(config_from(args))
    for spec in args.fault:
        route, kind, *count = spec.rsplit(":", 2) if spec.count(":") >= 2 else spec.split(":")
        emu.faults.add(route, kind, count=int(count[0]) if count else 1)
    base_url = emu.start(args.port, args.host)
    print(f"Kontext Lab emulator at {base_url}", flush=True)
    ltx_key = f"Demo token: {DEMO_TOKEN}" if DEMO_TOKEN in emu.config.tokens else ""
    bfl_key = f"Demo key: {DEMO_BFL_KEY}" if DEMO_BFL_KEY in emu.config.bfl_keys else ""
    public = "  (public; accepted only by this emulator)"
    first, other = (bfl_key, ltx_key) if emu.config.provider == "bfl" else (ltx_key, bfl_key)
    if first:
        print(first + public, flush=True)
    if emu.config.provider == "bfl":
        print(f"Also LTX Studio at {emu.ltx_base_url}  {other}".rstrip(), flush=True)
    else:
        print(f"Also BFL at {emu.bfl_base_url}  {other}".rstrip(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
