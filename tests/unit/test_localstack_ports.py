"""The local stack's free ports come from outside the ephemeral range, where no outgoing
connection can take them between the choice and the server's bind."""

from __future__ import annotations

import socket
from pathlib import Path

from transferpunt.localstack.procs import (
    LINUX_EPHEMERAL,
    SERVER_PORTS,
    ephemeral_ports,
    free_port,
    port_is_free,
)


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


def test_a_port_with_a_listener_is_never_handed_out() -> None:
    top = SERVER_PORTS.stop - 1
    narrow = range(SERVER_PORTS.start, top - 1)  # leaves only the two top ports outside
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", top))
        taken.listen()
        assert not port_is_free(top)
        assert {free_port(ephemeral=narrow) for _ in range(20)} == {top - 1}


def test_with_no_room_outside_the_os_picks() -> None:
    port = free_port(ephemeral=range(1024, 65536))
    assert port_is_free(port)
