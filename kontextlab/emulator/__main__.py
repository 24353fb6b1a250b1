"""Run the emulator on its own: python -m kontextlab.emulator --port 8799 [knobs]."""

from __future__ import annotations

import argparse
import threading

from kontextlab.emulator import DEMO_TOKEN, Emulator, EmulatorConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m kontextlab.emulator",
        description="Local emulator of the useapi.net LTX Studio image API.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8799, help="0 picks a free port")
    p.add_argument("--job-seconds", type=float, default=6.0, help="how long a job runs")
    p.add_argument("--poll-tick", type=float, default=3.0, help="the pollForResult tick")
    p.add_argument("--artifact-lag", type=float, default=0.0, help="completed, no artifact yet")
    p.add_argument("--token", action="append", help="accepted token (repeatable)")
    p.add_argument("--account", action="append", help="account email (repeatable)")
    p.add_argument("--credits", type=int, default=100_000)
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
        help='e.g. "images/flux-create:status:3"; kinds: status busy html malformed slow drop lost',
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
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    emu = Emulator(config_from(args))
    for spec in args.fault:
        route, kind, *count = spec.rsplit(":", 2) if spec.count(":") >= 2 else spec.split(":")
        emu.faults.add(route, kind, count=int(count[0]) if count else 1)
    base_url = emu.start(args.port, args.host)
    print(f"Kontext Lab emulator at {base_url}", flush=True)
    if DEMO_TOKEN in emu.config.tokens:
        print(f"Demo token: {DEMO_TOKEN}  (public; accepted only by this emulator)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
