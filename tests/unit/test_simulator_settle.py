"""The simulator's wait for quiescence (`settle`) with the broker and the services faked:
which end offsets each round asks the services to reach, and how often it asks the broker."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition

from transferpunt.simulator import Quiet, settle

TP = TopicPartition("transferpunt.intake.events", 0)


class Broker:
    """End offsets as the script says, one entry per request (the last one repeats)."""

    def __init__(self, *ends: int) -> None:
        self.script = list(ends)
        self.asked = 0

    async def end_offsets(self) -> dict[TopicPartition, int]:
        self.asked += 1
        return {TP: self.script.pop(0) if len(self.script) > 1 else self.script[0]}

    async def lag(self, ends: Mapping[TopicPartition, int],
                  reported: Mapping[str, Mapping[TopicPartition, int]]) -> dict[str, int]:
        return {"matching-consumer": max(0, ends[TP] - reported.get("matching", {}).get(TP, 0))}


class Services:
    """Caught up with whatever they are asked to reach; an outbox pending while the script
    says so, one entry per round."""

    def __init__(self, *pending: int) -> None:
        self.pending = list(pending)
        self.asked_to_reach: list[int] = []

    async def caught_up(self, ends: Mapping[TopicPartition, int]) -> tuple[Any, Any]:
        self.asked_to_reach.append(ends[TP])
        pending = self.pending.pop(0) if self.pending else 0
        return {"matching": dict(ends)}, {"intake": pending}


def run(broker: Broker, services: Services, poll: float) -> dict[TopicPartition, int]:
    return asyncio.run(settle(services, broker, Quiet(), poll=poll))  # type: ignore[arg-type]


def test_a_round_that_only_the_moved_end_offsets_failed_starts_the_next_from_them() -> None:
    broker, services = Broker(5, 8, 8), Services()
    assert run(broker, services, poll=0) == {TP: 8}
    assert services.asked_to_reach == [5, 8]
    assert broker.asked == 3  # 5, then 8 twice: not a fourth request at the second round


def test_a_round_with_work_left_reads_the_end_offsets_again() -> None:
    broker, services = Broker(5, 7, 7), Services(1, 0)
    assert run(broker, services, poll=0) == {TP: 7}
    assert services.asked_to_reach == [5, 7]  # the outbox was not empty: no second read
    assert broker.asked == 3


def test_after_resting_between_rounds_the_end_offsets_are_read_afresh() -> None:
    broker, services = Broker(5, 8, 9, 9), Services()
    assert run(broker, services, poll=0.01) == {TP: 9}  # every round is quicker than that
    assert services.asked_to_reach == [5, 9]
    assert broker.asked == 4
