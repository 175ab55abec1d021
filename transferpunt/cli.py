"""`transferpunt`: the one command-line entry point.

    transferpunt up [--detach]      everything on the local default
    transferpunt down               stop it all
    transferpunt status             what runs where
    transferpunt token --role R --org O
    transferpunt demo [--exit] [--year]  up + demo region (or a simulated year) + report
    transferpunt bench              the benchmark against raw Kafka
    transferpunt logs SERVICE
    transferpunt retention [--now ISO]   erase personal data past its retention period
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from datetime import timedelta

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


def _stack():  # type: ignore[no-untyped-def]
    from transferpunt.stack import LocalStack

    return LocalStack(progress=say)


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
    stack = _stack()
    stack.up()
    say(URLS_HELP.format(**SERVICE_PORTS))
    if args.detach:
        say("Detached. `transferpunt down` stops everything.")
        return 0
    return _wait_for_ctrl_c(stack)


def cmd_down(_: argparse.Namespace) -> int:
    _stack().down()
    say("All stopped.")
    return 0


def cmd_status(_: argparse.Namespace) -> int:
    for name, state in _stack().status():
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
    stack = _stack()
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

    stack = _stack()
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

    stack = _stack()
    stack.up()
    run_demo(say)
    say(URLS_HELP.format(**SERVICE_PORTS))
    if args.exit:
        stack.down()
        return 0
    return _wait_for_ctrl_c(stack)


def cmd_bench(args: argparse.Namespace) -> int:
    """The benchmark against raw Kafka (not part of the tests)."""
    from transferpunt.bench import bench_job

    return bench_job(say, year=not args.no_year, stop_after=not args.keep_running)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="transferpunt", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
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
    demo = sub.add_parser("demo", help="start everything and run the demo region")
    demo.add_argument("--exit", action="store_true", help="stop everything afterwards")
    demo.add_argument("--year", action="store_true",
                      help="simulate a whole U16 year on a business clock (in progress)")
    demo.set_defaults(func=cmd_demo)
    bench = sub.add_parser("bench", help="measure throughput and latency against raw Kafka")
    bench.add_argument("--no-year", action="store_true", help="skip the simulated year")
    bench.add_argument("--keep-running", action="store_true", help="leave the stack up")
    bench.set_defaults(func=cmd_bench)
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
