"""The main job — the README's first command: everything up, a simulated U16 year, the report.

    main_job(say, exit_after)      what `transferpunt demo [--exit]` runs
    run_simulated_year(say, …)     the year and the report against services already running

The services must run on a manual business clock (`SIM_ENV`); `main_job` starts them so, and
restarts any that an earlier `transferpunt up` left running on the system clock. A rerun on
the same `var/` simulates the next free contingent year (business time never goes back).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from shared.settings import SERVICE_PORTS
from transferpunt.localstack import project_root
from transferpunt.simulator import Scenario, SimulationResult, first_free_year, simulate

if TYPE_CHECKING:
    from transferpunt.stack import LocalStack

Say = Callable[[str], None]
FIRST_YEAR = 2027

# What the services need for a simulation: a business clock the simulator moves, and
# periodic jobs (expiry of proposals, overdue check-ins, escalations) that look often, so a
# simulated day is over in a fraction of a second.
SIM_ENV: dict[str, str] = {
    "TRANSFERPUNT_CLOCK": "manual",
    "TRANSFERPUNT_CLOCK_START": f"{FIRST_YEAR}-01-01T09:00:00+00:00",
    "TRANSFERPUNT_MATCHING_JOB_SECONDS": "0.1",
    "TRANSFERPUNT_AFTERCARE_SWEEP_SECONDS": "0.5",
}

URLS = """
The pages (sign in as any role with the local sign-in page):
  coordinator {contingent}/ui/contingent   (quota table, ledger, explanations, throughput)
  caseworker  {intake}/ui/intakes
  corporation {matching}/ui/inbox
  supporter   {aftercare}/ui/trajectories
The APIs (OpenAPI):
  intake      {intake}/docs
  matching    {matching}/docs
  contingent  {contingent}/docs
  aftercare   {aftercare}/docs
  metrics     <url>/metrics on each service
  report      {out}
Mint a token for the API:  transferpunt token --role coordinator --org region
"""


def default_urls() -> dict[str, str]:
    return {name: f"http://127.0.0.1:{port}" for name, port in SERVICE_PORTS.items()}


def run_simulated_year(
    say: Say, *, urls: Mapping[str, str] | None = None,
    bootstrap: str = "127.0.0.1:9092", scenario: Scenario | None = None,
    out_dir: Path | None = None, show_progress: bool = True,
) -> SimulationResult:
    """Run the simulated year against running services, print the coordinator's report and
    write it to `out_dir` (CSV, PNG, JSON). Blocking; returns the result."""
    from transferpunt.report import build_report, print_report, write_report

    urls = dict(urls or default_urls())
    out_dir = out_dir or project_root() / "out"
    scenario = scenario or Scenario()
    year = asyncio.run(first_free_year(urls, scenario.year))
    if year != scenario.year:
        say(f"Contingent {scenario.year} is taken on this database: simulating {year} instead.")
        scenario = replace(scenario, year=year, start=None)
    say(f"Simulating {scenario.year} in region U16: {scenario.members} member organisations, "
        f"{scenario.corporations} corporations, a contingent of {scenario.contingent} homes, "
        f"{scenario.intake_count} intakes and {scenario.homes} homes (seed {scenario.seed}).")
    result = asyncio.run(simulate(scenario, urls, bootstrap, out_dir=out_dir,
                                  show_progress=show_progress, say=say))
    report = build_report(result)
    written = write_report(report, out_dir)  # first: a note about the chart joins the report
    print_report(report, say)
    for path in written:
        say(f"  wrote {path}")
    return result


def _on_system_clock(url: str) -> bool:
    """Is the service at `url` running on the system clock (so it cannot be simulated)?"""
    try:
        now = httpx.get(f"{url}/admin/clock", timeout=5).json()["now"]
    except (httpx.HTTPError, ValueError, KeyError):
        return False
    from shared.auth import mint_token
    from shared.settings import ServiceSettings

    token = mint_token(ServiceSettings(), role="coordinator", org="region")
    r = httpx.put(f"{url}/admin/clock", json={"now": now}, timeout=5,
                  headers={"Authorization": f"Bearer {token}"})
    return r.status_code == 409


def start_stack(say: Say) -> LocalStack:
    """Kafka, PostgreSQL and the four services on the simulation clock (`SIM_ENV`)."""
    from transferpunt.stack import LocalStack

    stack = LocalStack(progress=say, extra_env=SIM_ENV)
    stack.start_infrastructure()
    for proc in stack.services():
        if proc.pid() is not None and _on_system_clock(proc.url):
            say(f"{proc.name} runs on the system clock; restarting it on the simulation clock")
            proc.stop()
    stack.start_services()
    return stack


class LocalPrometheus:
    """Debian's `prometheus` binary, when installed, scraping the four services (the local
    scrape configuration in deploy/prometheus); its data and pid under `var/prometheus`."""

    def __init__(self, var: Path, port: int = 9090) -> None:
        self.dir, self.port = var / "prometheus", port
        self.binary = shutil.which("prometheus")

    @property
    def pid_path(self) -> Path:
        return self.dir / "prometheus.pid"

    def start(self, say: Say) -> None:
        if self.binary is None:
            say("Prometheus: no `prometheus` binary on PATH (Debian: apt install prometheus); "
                "each service still serves /metrics")
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        config = project_root() / "deploy" / "prometheus" / "prometheus.local.yml"
        with (self.dir / "prometheus.log").open("ab") as log:
            proc = subprocess.Popen(
                [self.binary, f"--config.file={config}", f"--storage.tsdb.path={self.dir}/data",
                 f"--web.listen-address=127.0.0.1:{self.port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        self.pid_path.write_text(str(proc.pid))
        say(f"Prometheus: http://127.0.0.1:{self.port} (scraping the four services)")

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            os.killpg(int(self.pid_path.read_text()), signal.SIGTERM)
        self.pid_path.unlink(missing_ok=True)


def main_job(say: Say, exit_after: bool) -> int:
    """`transferpunt demo`: Kafka, PostgreSQL and the services on a business clock, the
    simulated year, the report; then keep running with the URLs printed (or stop)."""
    stack = start_stack(say)
    prometheus = LocalPrometheus(stack.var)
    prometheus.start(say)
    urls = {p.name: p.url for p in stack.services()}
    out_dir = project_root() / "out"
    try:
        run_simulated_year(say, urls=urls, bootstrap=stack.bootstrap_servers, out_dir=out_dir)
        say(URLS.format(**urls, out=out_dir))
        if exit_after:
            say("--exit: stopping everything")
            stack.down()
            return 0
        from transferpunt.cli import _wait_for_ctrl_c

        return _wait_for_ctrl_c(stack)
    finally:
        prometheus.stop()
