"""Starts, watches and stops the four services as child processes (uvicorn), Docker-free.

State lives under `var/` (pid files in `var/run/`, logs in `var/log/`), so `transferpunt
down` and `status` work from any shell, not only from the one that started them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from shared.settings import SERVICE_PORTS
from shared.topics import SERVICES
from transferpunt.localstack.procs import port_is_free

Progress = Callable[[str], None]


def uvicorn_command(factory: str, host: str, port: int) -> list[str]:
    """How a service's app is served (and the benchmark's stand-ins, transferpunt.bench_floor):
    one uvicorn process, the app made by `factory`, no access log (a line per request)."""
    return [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", host,
            "--port", str(port), "--no-access-log", "--timeout-graceful-shutdown", "5"]


@dataclass
class ServiceProcess:
    name: str
    port: int
    var: Path
    env: Mapping[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid_path(self) -> Path:
        return self.var / "run" / f"{self.name}.pid"

    @property
    def log_path(self) -> Path:
        return self.var / "log" / f"{self.name}.log"

    def pid(self) -> int | None:
        """The running service's pid; None when it is not running (a zombie — killed but
        not yet reaped by its parent — is not running: nothing answers on its port)."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def start(self) -> None:
        if self.pid() is not None:
            return
        self.pid_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = uvicorn_command(f"services.{self.name}.main:create_app", self.host, self.port)
        with self.log_path.open("ab") as log:
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env}, start_new_session=True,
            )
        self.pid_path.write_text(str(proc.pid))

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_path.unlink(missing_ok=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.pid() is not None:
            _reap(pid)
            time.sleep(0.1)
        if self.pid() is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            _reap(pid)
        self.pid_path.unlink(missing_ok=True)

    def kill9(self, timeout: float = 15.0) -> None:
        """SIGKILL the service's process group and return once it is really gone and its
        port is free again, so a `start()` right after starts a new process (it used to reap
        once without waiting: the killed process still looked alive and `start()` started
        nothing)."""
        pid = self.pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while _alive(pid):
            _reap(pid)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} (pid {pid}) survived SIGKILL")
            time.sleep(0.02)
        self.pid_path.unlink(missing_ok=True)
        while not port_is_free(self.port, self.host):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: port {self.port} still taken after SIGKILL")
            time.sleep(0.05)

    def tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (reaped here when it is our child)."""
    try:
        if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            return True
    except psutil.ZombieProcess:
        pass
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # exists, another user's
        return True
    _reap(pid)
    return False


def service_processes(
    var: Path, env: Mapping[str, str], ports: Mapping[str, int] | None = None
) -> list[ServiceProcess]:
    ports = ports or SERVICE_PORTS
    return [ServiceProcess(name, ports[name], var, env) for name in SERVICES]


def wait_all_ready(
    procs: list[ServiceProcess], timeout: float = 120.0, progress: Progress = print
) -> None:
    pending = {p.name: p for p in procs}
    deadline = time.monotonic() + timeout
    while pending:
        for name, proc in list(pending.items()):
            if proc.pid() is None:
                raise RuntimeError(f"{name} exited during start-up:\n{proc.tail()}")
            if proc.ready():
                progress(f"  {name:<10} ready at {proc.url}")
                del pending[name]
        if not pending:
            return
        if time.monotonic() > deadline:
            names = ", ".join(pending)
            tails = "\n".join(f"--- {n}\n{p.tail(15)}" for n, p in pending.items())
            raise RuntimeError(f"not ready after {timeout:.0f}s: {names}\n{tails}")
        time.sleep(0.3)
