"""The local stack's free ports come from outside the ephemeral range, where no outgoing
connection can take them between the choice and the server's bind; and a stack whose
service fails to start stops the ones that did."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from transferpunt.localstack import procs
from transferpunt.localstack.procs import (
    LINUX_EPHEMERAL,
    SERVER_PORTS,
    ephemeral_ports,
    free_port,
    port_is_free,
)
from transferpunt.stack import LocalStack


def test_the_ephemeral_range_is_read_from_the_kernel_or_linux_default(tmp_path: Path) -> None:
    source = tmp_path / "ip_local_port_range"
    source.write_text("40000\t50000\n")
    assert ephemeral_ports(source) == range(40000, 50001)
    assert ephemeral_ports(tmp_path / "missing") == LINUX_EPHEMERAL
    source.write_text("garbage\n")
    assert ephemeral_ports(source) == LINUX_EPHEMERAL


def test_a_free_port_is_outside_the_ephemeral_range_and_bindable() -> None:
    ephemeral = ephemeral_ports()
    ports = {free_port() for _ in range(50)}
    assert all(p in SERVER_PORTS and p not in ephemeral for p in ports), sorted(ports)
    assert len(ports) > 40  # random, so two stacks starting at once rarely collide
    for port in list(ports)[:5]:
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))
            server.listen()


def free_window(size: int) -> range:
    """The highest `size` consecutive ports free right now. The test's servers, Kafka and
    PostgreSQL take random ports of the same range, so the very top may be held: a test
    that counted on it failed in a fresh clone's `make test` on 24 November (65534 was held)."""
    for stop in range(SERVER_PORTS.stop, SERVER_PORTS.start + size, -1):
        window = range(stop - size, stop)
        if all(port_is_free(port) for port in window):
            return window
    raise AssertionError(f"no {size} consecutive free ports")


def only_outside(monkeypatch: pytest.MonkeyPatch, window: range) -> range:
    """The server ports end with `window`; the ephemeral range to pass leaves only `window`
    outside it."""
    monkeypatch.setattr(procs, "SERVER_PORTS", range(SERVER_PORTS.start, window.stop))
    return range(SERVER_PORTS.start, window.start)


# The choice is random: each check is made on many fresh processes' worth of choices, so
# a free_port that ignored what it checks would be caught every time, not once in two.
TRIES = 20


def test_a_port_with_a_listener_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    window = free_window(2)
    top = window.stop - 1
    narrow = only_outside(monkeypatch, window)  # leaves only the two top ports outside
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", top))
        taken.listen()
        assert not port_is_free(top)
        for _ in range(TRIES):
            monkeypatch.setattr(procs, "HANDED_OUT", set())
            assert free_port(ephemeral=narrow) == top - 1


def test_one_process_never_gets_the_same_port_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    window = free_window(3)
    top = window.stop
    narrow = only_outside(monkeypatch, window)  # leaves only the three top ports outside
    for _ in range(TRIES):
        monkeypatch.setattr(procs, "HANDED_OUT", set())
        assert sorted(free_port(ephemeral=narrow) for _ in range(3)) == [
            top - 3, top - 2, top - 1]


def test_with_no_room_outside_the_os_picks() -> None:
    port = free_port(ephemeral=range(1024, 65536))
    assert port_is_free(port)


def test_with_no_room_outside_the_os_pick_is_not_handed_out_twice(
        monkeypatch: pytest.MonkeyPatch) -> None:
    offered = iter([40_001, 40_001, 40_002])  # the OS offers one port twice in a row

    class OsPicks:
        def __enter__(self) -> OsPicks:
            return self

        def __exit__(self, *_: object) -> None:
            return None

        def bind(self, _: object) -> None:
            return None

        def getsockname(self) -> tuple[str, int]:
            return "127.0.0.1", next(offered)

    monkeypatch.setattr(procs, "HANDED_OUT", set())
    monkeypatch.setattr(socket, "socket", lambda *_: OsPicks())
    no_room = range(1024, 65536)
    assert [free_port(ephemeral=no_room), free_port(ephemeral=no_room)] == [40_001, 40_002]


@dataclass
class FakeService:
    """A service process that starts, or exits at once when `exits`."""

    name: str
    exits: bool = False
    running: bool = False
    url: str = "http://127.0.0.1:1"

    def start(self) -> None:
        self.running = not self.exits

    def stop(self) -> None:
        self.running = False

    def pid(self) -> int | None:
        return 1 if self.running else None

    def ready(self) -> bool:
        return False  # still starting when its sibling exits

    def tail(self, lines: int = 40) -> str:
        return "address already in use"


def test_a_service_that_fails_to_start_takes_the_others_down_with_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = [FakeService("intake"), FakeService("matching", exits=True),
                FakeService("contingent")]
    stack = LocalStack(var=tmp_path, external_kafka="127.0.0.1:1",
                       external_db="postgresql+asyncpg://nobody@127.0.0.1:1/none",
                       progress=lambda _: None)
    monkeypatch.setattr(LocalStack, "services", lambda self: services)
    with pytest.raises(RuntimeError, match="matching exited during start-up"):
        stack.start_services(timeout=5)
    assert [s.name for s in services if s.running] == []
