"""The simulator's day: what moves people and homes and what aftercare records run in two lanes
side by side, each lane one phase after the other; an ordered run keeps a single lane. The
services are not needed: the actions are stand-ins that note when they run."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from typing import Any

from transferpunt.simulator import PHASES, Action, Scenario, Simulation, day_lanes, make_plan

SMALL = Scenario(seed=7, year=2041, members=3, corporations=2, contingent=12, homes=10,
                 intakes=13, arrival_days=21, id_prefix="sl")
DAY = date(2041, 1, 7)


def action(kind: str, seq: int) -> Action:
    return Action(PHASES.index(kind), seq, kind)


def kinds(lanes: list[list[list[Action]]]) -> list[list[list[str]]]:
    return [[[a.kind for a in phase] for phase in lane] for lane in lanes]


def test_a_day_has_a_lane_for_people_and_homes_and_one_for_aftercare() -> None:
    day = [action("complete", 1), action("checkin", 2), action("home", 3),
           action("intake", 4), action("checkin", 5), action("tenancy", 6)]
    assert kinds(day_lanes(day, ordered=False)) == [
        [["intake"], ["home"], ["tenancy"]], [["checkin", "checkin"], ["complete"]]]
    assert kinds(day_lanes(day, ordered=True)) == [
        [["intake"], ["home"], ["tenancy"], ["checkin", "checkin"], ["complete"]]]
    assert kinds(day_lanes([action("checkin", 1)], ordered=False)) == [[["checkin"]]]
    assert day_lanes([], ordered=False) == []


class Recorded(Simulation):
    """A simulation whose actions, clock and settling are stand-ins noting what ran when."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__(make_plan(scenario), {}, "")
        self.ran: list[tuple[str, str]] = []

    async def _perform(self, action: Action) -> None:
        self.ran.append(("start", action.kind))
        await asyncio.sleep(0.01 if action.kind in {"intake", "checkin"} else 0.02)
        self.ran.append(("end", action.kind))

    async def _settle(self) -> None:
        pass

    async def _await_expiries(self, within: float = 30.0) -> None:
        pass


async def run_day(scenario: Scenario) -> list[tuple[str, str]]:
    sim = Recorded(scenario)
    sim.schedule.clear()
    for kind in ("intake", "home", "decide", "checkin", "checkin", "complete"):
        sim.at(DAY, kind)
    await sim._step(DAY, move_clock=False)
    return sim.ran


def test_aftercare_runs_beside_the_allocation_and_each_lane_keeps_its_order() -> None:
    ran = asyncio.run(run_day(SMALL))
    first_checkin = ran.index(("start", "checkin"))
    assert first_checkin < ran.index(("end", "intake"))  # side by side
    # Within each lane a phase starts only when the one before it has ended.
    assert ran.index(("end", "intake")) < ran.index(("start", "home"))
    assert ran.index(("end", "home")) < ran.index(("start", "decide"))
    last_checkin = len(ran) - 1 - ran[::-1].index(("end", "checkin"))
    assert last_checkin < ran.index(("start", "complete"))


def test_an_ordered_run_does_one_phase_at_a_time() -> None:
    ran: list[Any] = asyncio.run(run_day(replace(SMALL, ordered=True)))
    starts = [kind for what, kind in ran if what == "start"]
    assert starts == ["intake", "home", "decide", "checkin", "checkin", "complete"]
    assert ran.index(("end", "decide")) < ran.index(("start", "checkin"))
