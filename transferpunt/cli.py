"""`transferpunt`: the one command-line entry point.

    transferpunt up [--detach]      everything on the local default
    transferpunt down               stop it all
    transferpunt status             what runs where
    transferpunt token --role R --org O
    transferpunt demo [--exit] [--year]  up + demo region (or a simulated year) + report
    transferpunt bench              the benchmark against raw Kafka
    transferpunt load [--duration S] [--rate R]   ten times the U16 peak intake rate (loopback)
    transferpunt logs SERVICE
    transferpunt retention [--now ISO]   erase personal data past its retention period

A second stack beside the default one: `--port-offset N [--var DIR]` (or
TRANSFERPUNT_PORT_OFFSET, TRANSFERPUNT_VAR) before the command moves every port up by N
(Kafka 9092+N, its controller 9093+N, PostgreSQL 55432+N, services 8001+N to 8004+N) and
keeps the state in DIR (default var/stack-N).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

from shared.settings import SERVICE_PORTS
from transferpunt.localstack import LocalStackError

URLS_HELP = """
Open:
  intake      http://127.0.0.1:{intake}/docs
  matching    http://127.0.0.1:{matching}/docs
  contingent  http://127.0.0.1:{contingent}/docs
  aftercare   http://127.0.0.1:{aftercare}/docs
  metrics     http://127.0.0.1:<port>/metrics on each service
Mint a token for the API:  transferpunt token --role coordinator --org region
"""


def say(message: str) -> None:
    print(message, flush=True)


def _ports(args: argparse.Namespace) -> dict[str, int]:
    offset = getattr(args, "port_offset", 0) or 0
    return {name: port + offset for name, port in SERVICE_PORTS.items()}


def _stack(args: argparse.Namespace | None = None):  # type: ignore[no-untyped-def]
    """The local stack; `--var` and `--port-offset` move it beside the default one."""
    from transferpunt.stack import DEFAULT_POSTGRES_PORT, LocalStack

    offset = getattr(args, "port_offset", 0) or 0
    var = getattr(args, "var", None)
    if not offset and not var:
        return LocalStack(progress=say)
    from transferpunt.localstack import project_root

    ports = _ports(args) if args is not None else dict(SERVICE_PORTS)
    # Never the default stack's state (its pid files): `down` would stop the wrong stack.
    folder = Path(var).resolve() if var else project_root() / "var" / f"stack-{offset}"
    urls = json.dumps({name: f"http://127.0.0.1:{port}" for name, port in ports.items()})
    return LocalStack(var=folder, kafka_port=9092 + offset, kafka_controller_port=9093 + offset,
                      postgres_port=DEFAULT_POSTGRES_PORT + offset, service_ports=ports,
                      extra_env={"TRANSFERPUNT_UI_SERVICE_URLS": urls}, progress=say)


def _wait_for_ctrl_c(stack) -> int:  # type: ignore[no-untyped-def]
    say("Running. Press Ctrl-C to stop everything.")
    stopping = False

    def on_signal(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stopping:
        for proc in stack.services():
            if proc.pid() is None:
                say(f"{proc.name} stopped unexpectedly; last log lines:\n{proc.tail()}")
                proc.start()
        time.sleep(1)
    say("\nStopping…")
    stack.down()
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    stack = _stack(args)
    stack.up()
    say(URLS_HELP.format(**_ports(args)))
    if args.detach:
        say("Detached. `transferpunt down` stops everything.")
        return 0
    return _wait_for_ctrl_c(stack)


def cmd_down(args: argparse.Namespace) -> int:
    _stack(args).down()
    say("All stopped.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    for name, state in _stack(args).status():
        say(f"{name:<11} {state}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from shared.auth import mint_token
    from shared.settings import ServiceSettings

    try:
        token = mint_token(ServiceSettings(), role=args.role, org=args.org, sub=args.sub,
                           ttl=timedelta(hours=args.hours))
    except ValueError as exc:
        say(f"error: {exc}")
        return 2
    print(token)
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    stack = _stack(args)
    if args.service == "kafka":
        say(stack.kafka.logs(args.lines))
        return 0
    if args.service == "postgres":
        say(stack.postgres.logs(args.lines))
        return 0
    for proc in stack.services():
        if proc.name == args.service:
            say(proc.tail(args.lines))
            return 0
    say(f"error: no service {args.service!r}")
    return 2


def cmd_retention(args: argparse.Namespace) -> int:
    """Erase personal data past its retention period (the statistics stay)."""
    from datetime import datetime

    from services.intake.retention import run_retention
    from shared.settings import ServiceSettings

    stack = _stack(args)
    settings = ServiceSettings(database_url=stack.database_url)
    now = datetime.fromisoformat(args.now) if args.now else None
    if now is not None and now.tzinfo is None:
        say("error: --now needs a time zone, e.g. 2029-01-01T00:00:00+00:00")
        return 2
    erased = run_retention(settings, now)
    say(f"erased the personal data of {erased} case(s) past the retention period")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job: everything up, the demo region through the real flow, the report.
    `--year` runs the simulated U16 year on a business clock instead (see docs/STATUS.md)."""
    if args.year:
        from transferpunt.demo_year import main_job

        return main_job(say, exit_after=args.exit)
    from transferpunt.demo import run_demo

    stack = _stack(args)
    stack.up()
    run_demo(say)
    say(URLS_HELP.format(**_ports(args)))
    if args.exit:
        stack.down()
        return 0
    return _wait_for_ctrl_c(stack)


def cmd_bench(args: argparse.Namespace) -> int:
    """The benchmark against raw Kafka (not part of the tests)."""
    from transferpunt.bench import bench_job

    return bench_job(say, year=not args.no_year, stop_after=not args.keep_running)


def cmd_load(args: argparse.Namespace) -> int:
    """Ten times the U16 year's peak intake rate against the running stack (transferpunt.load)."""
    from transferpunt.load import RatePlan, derive_rate, load_job

    stack = _stack(args)
    rate = args.rate if args.rate is not None else derive_rate(day_seconds=args.day_seconds,
                                                              times=args.times)
    try:
        plan = RatePlan(rate=rate, duration_s=args.duration, max_intakes=args.max_intakes,
                        home_every=args.home_every)
    except ValueError as exc:
        say(f"error: {exc}")
        return 2
    urls = dict(args.url) if args.url else {
        proc.name: proc.url for proc in stack.services()}
    return load_job(say, urls, args.bootstrap or stack.bootstrap_servers, plan,
                    concurrency=args.concurrency, drain_s=args.drain, cleanup_s=args.cleanup,
                    json_path=args.json)


def _service_url(text: str) -> tuple[str, str]:
    name, sep, url = text.partition("=")
    if not sep or name not in SERVICE_PORTS:
        raise argparse.ArgumentTypeError(f"expected SERVICE=URL (services: "
                                         f"{', '.join(SERVICE_PORTS)}), got {text!r}")
    return name, url


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="transferpunt", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--var", default=os.environ.get("TRANSFERPUNT_VAR") or None,
                   help="state folder of the stack (default: var/ in the project)")
    p.add_argument("--port-offset", type=int,
                   default=int(os.environ.get("TRANSFERPUNT_PORT_OFFSET", "0") or 0),
                   help="move every port of the stack up by N (a second stack beside the "
                        "default one)")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start Kafka, PostgreSQL and the four services")
    up.add_argument("--detach", action="store_true",
                    help="return once every service answers /readyz")
    up.set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop everything").set_defaults(func=cmd_down)
    sub.add_parser("status", help="show what runs").set_defaults(func=cmd_status)
    tok = sub.add_parser("token", help="print a local development JWT")
    tok.add_argument("--role", required=True,
                     choices=["caseworker", "corporation", "supporter", "coordinator"])
    tok.add_argument("--org", required=True, help="member organisation or corporation id")
    tok.add_argument("--sub", default=None, help="the user (default: role@org)")
    tok.add_argument("--hours", type=float, default=8.0, help="validity (default 8)")
    tok.set_defaults(func=cmd_token)
    logs = sub.add_parser("logs", help="the last lines of a service's log")
    logs.add_argument("service", choices=[*SERVICE_PORTS, "kafka", "postgres"])
    logs.add_argument("--lines", type=int, default=50)
    logs.set_defaults(func=cmd_logs)
    ret = sub.add_parser("retention", help="erase personal data past its retention period")
    ret.add_argument("--now", default=None, help="business time, ISO-8601 (default: now)")
    ret.set_defaults(func=cmd_retention)
    demo = sub.add_parser("demo", help="start everything and run the demo region (--year: a year)")
    demo.add_argument("--exit", action="store_true", help="stop everything afterwards")
    demo.add_argument("--year", action="store_true",
                      help="simulate a whole U16 year on a business clock (what `make demo` runs)")
    demo.set_defaults(func=cmd_demo)
    bench = sub.add_parser("bench", help="measure throughput and latency against raw Kafka")
    bench.add_argument("--no-year", action="store_true", help="skip the simulated year")
    bench.add_argument("--keep-running", action="store_true", help="leave the stack up")
    bench.set_defaults(func=cmd_bench)
    load = sub.add_parser(
        "load", help="ten times the U16 peak intake rate against the running stack "
                     "(loopback only; errors must be zero)")
    load.add_argument("--duration", type=float, default=180.0,
                      help="seconds of load (default 180)")
    load.add_argument("--max-intakes", type=int, default=20_000,
                      help="at most this many intakes (default 20000)")
    load.add_argument("--rate", type=float, default=None,
                      help="intakes per second (default: --times x the peak day's 7 "
                           "intakes, a business day lasting --day-seconds)")
    load.add_argument("--times", type=float, default=10.0, help="multiple of the peak (10)")
    load.add_argument("--day-seconds", type=float, default=1.5,
                      help="wall seconds per business day of the accelerated year (1.5)")
    load.add_argument("--home-every", type=int, default=20,
                      help="every n-th intake gets a home that fits it (end-to-end latency)")
    load.add_argument("--concurrency", type=int, default=64, help="requests in flight, at most")
    load.add_argument("--drain", type=float, default=120.0,
                      help="seconds to wait afterwards for proposals and lag zero (120)")
    load.add_argument("--cleanup", type=float, default=300.0,
                      help="seconds to withdraw the load's homes and intakes (0: keep them)")
    load.add_argument("--url", type=_service_url, action="append", default=None,
                      metavar="SERVICE=URL", help="a service's address (default: the stack's)")
    load.add_argument("--bootstrap", default=None, help="Kafka (default: the stack's)")
    load.add_argument("--json", default=None, help="also write the figures to this file")
    load.set_defaults(func=cmd_load)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (LocalStackError, RuntimeError) as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
