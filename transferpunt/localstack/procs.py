"""Process, port and file helpers shared by the local Kafka broker and PostgreSQL.

Both servers run detached from the Python process that starts them (their own session,
so a Ctrl-C in the terminal does not reach them), with their pid recorded on disk, so a
later ``transferpunt down`` from another process can find and stop them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import random
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psutil

T = TypeVar("T")

LOCALHOST = "127.0.0.1"


class LocalStackError(RuntimeError):
    """The local infrastructure could not be started, stopped or reached."""


class MissingToolError(LocalStackError):
    """A program the local infrastructure needs (java, mvn) is not installed."""


class PortInUseError(LocalStackError):
    """A port we need is taken by a process that is not ours."""


@dataclass(frozen=True)
class ServiceStatus:
    """What ``status()`` reports for one local server.

    ``state`` is ``"running"`` (process alive and accepting connections), ``"starting"``
    (process alive, port not open yet) or ``"stopped"``.
    """

    name: str
    state: str
    pid: int | None
    port: int | None
    detail: str = ""

    @property
    def running(self) -> bool:
        return self.state == "running"

    def __str__(self) -> str:
        parts = [f"{self.name}: {self.state}"]
        if self.pid is not None:
            parts.append(f"pid {self.pid}")
        if self.port is not None:
            parts.append(f"port {self.port}")
        text = ", ".join(parts)
        return f"{text} ({self.detail})" if self.detail else text


def project_root() -> Path:
    """The repository root: ``$TRANSFERPUNT_HOME`` or the checkout this package lives in."""
    env = os.environ.get("TRANSFERPUNT_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parents[2]


EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_EPHEMERAL = range(32768, 61000)  # Linux's default, when the file cannot be read
SERVER_PORTS = range(20_000, 65_536)  # above the ports other software expects by number
_CHOICE = random.SystemRandom()  # not the seeded module state: parallel runs differ
HANDED_OUT: set[int] = set()  # by free_port, in this process


def ephemeral_ports(source: Path = EPHEMERAL_RANGE_FILE) -> range:
    """The ports the OS hands out as the local end of outgoing connections."""
    try:
        low, high = (int(x) for x in source.read_text().split())
    except (OSError, ValueError):
        return LINUX_EPHEMERAL
    return range(low, high + 1)


def free_port(host: str = LOCALHOST, *, ephemeral: range | None = None) -> int:
    """A TCP port that is free right now, outside the ephemeral range.

    Not port 0: a port the OS picks comes from the ephemeral range, where every outgoing
    connection's local port comes from too, so between this call and the server's bind any
    client (a Kafka or PostgreSQL connection of another process) may take it. Outside that
    range only another server's explicit bind can. A port is never handed out twice by one
    process: a stack asks for one per service before any of them binds, and CI once saw a
    service fail to start with 'address already in use' because the OS had offered two of
    them the same port. The choice is random, so two processes rarely collide.
    """
    ephemeral = ephemeral if ephemeral is not None else ephemeral_ports()
    outside = [p for p in (range(SERVER_PORTS.start, ephemeral.start),
                           range(ephemeral.stop, SERVER_PORTS.stop)) if len(p)]
    for _ in range(200) if outside else ():
        span = _CHOICE.choice(outside)
        port = _CHOICE.randrange(span.start, span.stop)
        if port not in HANDED_OUT and port_is_free(port, host):
            HANDED_OUT.add(port)
            return port
    while True:  # no room outside: the OS picks, still never the same port twice
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            chosen: int = sock.getsockname()[1]
        if chosen not in HANDED_OUT:
            HANDED_OUT.add(chosen)
            return chosen


def port_is_free(port: int, host: str = LOCALHOST) -> bool:
    """Whether a server could listen on ``host:port`` now.

    SO_REUSEADDR is set as the JVM and PostgreSQL do, so sockets left in TIME_WAIT by a
    previous run do not count as taken; a listening socket still does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_accepts(port: int, host: str = LOCALHOST, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def describe_port_owner(port: int) -> str:
    """Best effort: which process listens on ``port`` (empty when unknown)."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return ""
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                return "another process"
            try:
                proc = psutil.Process(conn.pid)
                command = " ".join(" ".join(proc.cmdline()).split())
                return f"pid {conn.pid} ({command[:120]})"
            except psutil.Error:
                return f"pid {conn.pid}"
    return ""


def require_free_port(port: int, what: str) -> None:
    if not port_is_free(port):
        owner = describe_port_owner(port)
        owner_text = f" by {owner}" if owner else ""
        raise PortInUseError(
            f"{what}: port {port} on {LOCALHOST} is already in use{owner_text}, and it is not "
            f"the server recorded in this state directory. Stop that process or choose another "
            f"port."
        )


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process."""
    try:
        proc = psutil.Process(pid)
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def process_matches(pid: int, needles: Iterable[str]) -> bool:
    """Whether ``pid`` is alive and its command line contains every needle.

    Guards against a recycled pid: a pid file alone does not prove the process is ours.
    """
    if not pid_alive(pid):
        return False
    try:
        cmdline = " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False
    return all(needle in cmdline for needle in needles)


def read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    try:
        return int(text.splitlines()[0]) if text else None
    except ValueError:
        return None


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` s for ``pid`` to exit, reaping it if it is our child.

    A zombie counts as gone: when the server is not our child its parent is init, which
    may reap it only later.
    """
    left = monotonic_deadline(timeout)
    while True:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
        if not pid_alive(pid):
            return True
        if left() <= 0:
            return False
        time.sleep(0.1)


def terminate(pid: int, timeout: float = 20.0, *, group: bool = True) -> None:
    """SIGTERM, wait up to ``timeout`` s, then SIGKILL (the whole process group if asked)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_gone(pid, timeout):
        return
    kill_hard(pid, group=group)


def kill_hard(pid: int, *, group: bool = True, timeout: float = 10.0) -> None:
    """SIGKILL ``pid`` (and its process group, for a session leader) and wait for it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group and os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    wait_gone(pid, timeout)


def tail_file(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a (possibly large) text file; empty if it is missing."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 256 * 1024))
            data = fh.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def rotate_log(path: Path, max_bytes: int = 20 * 1024 * 1024) -> None:
    """Move a log that has grown past ``max_bytes`` to ``<name>.1`` before a new start."""
    with contextlib.suppress(OSError):
        if path.stat().st_size > max_bytes:
            path.replace(path.with_name(path.name + ".1"))


def run_sync(factory: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
    """Run a coroutine to completion from synchronous code.

    Works whether or not an event loop is already running in this thread (pytest-asyncio
    fixtures, FastAPI lifespans): in that case the coroutine runs on a fresh loop in a
    worker thread, and the caller's thread blocks until it is done.
    """

    async def runner() -> T:
        return await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(runner())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, runner()).result(timeout=timeout)


def monotonic_deadline(timeout: float) -> Callable[[], float]:
    """A function returning the seconds left until ``timeout`` from now (never negative)."""
    end = time.monotonic() + timeout

    def left() -> float:
        return max(0.0, end - time.monotonic())

    return left
