"""`ServiceProcess.kill9()` then `start()` starts a new process, every time.

The defect (transferpunt/supervisor.py, before the fix): `kill9` sent SIGKILL and reaped once
with WNOHANG straight away, while the process was still dying (or a zombie), so `pid()`
still found it and `start()` returned without starting anything. The fault suite hit it
in its own kill loop. Here a real service process (uvicorn, the contingent app) is killed
and started again several times in a row with no pause; each time a new pid must answer
`/healthz` on the same port.

No Kafka or PostgreSQL is needed: the service starts without them (it backs off and says
so on `/readyz`, shared/runtime.py), and `/healthz` answers as soon as uvicorn listens.
Unreachable addresses are given on purpose, so nothing of another suite is touched.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from transferpunt.localstack import free_port
from transferpunt.supervisor import ServiceProcess

pytestmark = pytest.mark.timeout(240)

CYCLES = 4


def _answers(proc: ServiceProcess, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.pid() is None:
            pytest.fail(f"{proc.name} is not running:\n{proc.tail()}")
        try:
            if httpx.get(f"{proc.url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{proc.name} did not answer /healthz in {timeout:.0f}s:\n{proc.tail()}")


def test_kill9_then_start_starts_a_new_process_every_time(tmp_path: Path) -> None:
    nowhere = free_port()  # nothing listens there: no broker, no database
    proc = ServiceProcess("contingent", free_port(), tmp_path, env={
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{nowhere}",
        "DATABASE_URL": f"postgresql+asyncpg://nobody:x@127.0.0.1:{nowhere}/nothing",
        "TRANSFERPUNT_ENVIRONMENT": "test",
    })
    proc.start()
    try:
        _answers(proc)
        pids = [proc.pid()]
        for _ in range(CYCLES):
            proc.kill9()
            assert proc.pid() is None, "kill9 returned while the process still runs"
            proc.start()  # straight away: no sleep between the kill and the start
            pid = proc.pid()
            assert pid is not None and pid not in pids, \
                f"start() after kill9() started nothing (pids so far {pids}, now {pid})"
            pids.append(pid)
            _answers(proc)
    finally:
        proc.stop()
    assert proc.pid() is None
