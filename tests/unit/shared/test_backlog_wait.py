"""Waiting for a service to catch up (`POST /admin/backlog/wait`): answered once its
consumer has finished every record before the end offsets the waiter read and its outbox is
empty, woken by the moves themselves — or after `within`, as things are then."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.runtime import Moves, ServiceRuntime


class Service:
    """What `ServiceRuntime.backlog_caught_up` reads of a service: positions and outbox."""

    def __init__(self, positions: dict[str, dict[int, int]], pending: int) -> None:
        self.moves = Moves()
        self.positions, self.pending = positions, pending
        self.looks = 0

    async def _positions(self) -> dict[str, dict[int, int]]:
        self.looks += 1
        return {t: dict(p) for t, p in self.positions.items()}

    def _report(self, positions: dict[str, dict[int, int]], pending: int) -> dict[str, object]:
        return {"positions": positions, "outbox_pending": pending}

    async def outbox_pending(self) -> int:
        return self.pending

    async def caught_up(self, ends: dict[str, dict[int, int]],
                        within: float) -> dict[str, Any]:
        return await ServiceRuntime.backlog_caught_up(self, ends, within)  # type: ignore[arg-type]


ENDS = {"t": {0: 5, 1: 3}, "elsewhere": {0: 99}}  # a topic the service is not assigned


async def test_a_service_that_has_caught_up_answers_at_once() -> None:
    service = Service({"t": {0: 5, 1: 3}}, pending=0)
    found = await asyncio.wait_for(service.caught_up(ENDS, within=5), timeout=1)
    assert found["caught_up"] is True
    assert found["outbox_pending"] == 0
    assert service.looks == 1


async def test_it_answers_when_its_consumer_finishes_the_records_it_owed() -> None:
    service = Service({"t": {0: 4, 1: 3}}, pending=0)
    waiting = asyncio.create_task(service.caught_up(ENDS, within=5))
    await asyncio.sleep(0.01)
    assert not waiting.done()  # one record behind on t:0

    service.positions["t"][0] = 5
    service.moves.made()
    found = await asyncio.wait_for(waiting, timeout=0.04)  # woken, not the 50-ms look
    assert found["caught_up"] is True


async def test_it_waits_for_its_outbox_to_empty() -> None:
    service = Service({"t": {0: 5, 1: 3}}, pending=2)
    waiting = asyncio.create_task(service.caught_up(ENDS, within=5))
    await asyncio.sleep(0.01)
    assert not waiting.done()

    service.pending = 0
    service.moves.made()  # the relay published
    assert (await asyncio.wait_for(waiting, timeout=0.04))["outbox_pending"] == 0


async def test_after_within_it_answers_as_things_are() -> None:
    service = Service({"t": {0: 1, 1: 3}}, pending=1)
    found = await asyncio.wait_for(service.caught_up(ENDS, within=0.12), timeout=1)
    assert found["caught_up"] is False
    assert found["positions"] == {"t": {0: 1, 1: 3}}
    assert found["outbox_pending"] == 1
    assert 2 <= service.looks <= 4  # looked every 50 ms meanwhile, not in a spin


async def test_a_move_between_looking_and_waiting_is_not_missed() -> None:
    moves = Moves()
    ticket = moves.ticket()
    moves.made()
    assert ticket.is_set()
    assert not moves.ticket().is_set()  # the next waiter waits for the next move


async def test_it_looks_again_unwoken_for_a_relay_in_another_replica() -> None:
    """Only this process's consumer and relay wake the wait; another replica's relay
    empties the outbox unseen, so the wait looks again every 50 ms anyway."""
    service = Service({"t": {0: 5, 1: 3}}, pending=1)
    waiting = asyncio.create_task(service.caught_up(ENDS, within=5))
    await asyncio.sleep(0.01)
    service.pending = 0  # and nobody says so
    assert (await asyncio.wait_for(waiting, timeout=0.2))["caught_up"] is True
