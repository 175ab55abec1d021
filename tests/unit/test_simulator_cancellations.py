"""A proposal matching cancels (its candidate withdrew the same day, or the home was withdrawn)
is not decided by the corporation: the simulator drops the decision it planned when the
proposal came, instead of sending it and counting the 409 as a failed request. The services
are not needed: the API is a stand-in that notes what was sent."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from transferpunt.simulator import Decision, Scenario, Simulation, Tracked, make_plan

SMALL = Scenario(seed=7, year=2041, members=3, corporations=2, contingent=12, homes=10,
                 intakes=13, arrival_days=21, id_prefix="sc")


class Sent:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def call(self, method: str, service: str, path: str, **_: Any) -> Any:
        self.calls.append((method, path))
        return type("Reply", (), {"status_code": 200})()


def simulation() -> tuple[Simulation, Sent, str]:
    sim = Simulation(make_plan(SMALL), {}, "")
    sent = Sent()
    sim.api = sent  # type: ignore[assignment]
    sim.today = date(2041, 3, 4)
    home_id = str(uuid.uuid4())
    sim.home_index[home_id] = 0
    sim.home_corp[home_id] = "scc01"
    return sim, sent, home_id


def event(kind: str, home_id: str, match_id: str, **data: Any) -> Tracked:
    now = datetime(2041, 3, 4, 9, tzinfo=UTC)
    return Tracked("transferpunt.matching.events", 0, 0, {
        "type": kind, "case_id": str(uuid.uuid4()), "occurred_at": now.isoformat(),
        "data": {"home_id": home_id, "match_id": match_id, "member_id": "scm01",
                 "proposed_at": now.isoformat(), **data}})


async def test_a_cancelled_proposal_is_not_decided() -> None:
    sim, sent, home_id = simulation()
    match_id = str(uuid.uuid4())
    sim._on_MatchCancelled(event("MatchCancelled", home_id, match_id))
    await sim._do_decide(match_id, home_id, 1, Decision("accept", 2), "scm01")
    assert sent.calls == []
    assert not sim.result.errors
    assert sim.result.actions[-1]["kind"] == "decision dropped"


async def test_an_open_proposal_is_decided() -> None:
    sim, sent, home_id = simulation()
    match_id = str(uuid.uuid4())
    deadline = datetime(2041, 3, 4, 9, tzinfo=UTC) + timedelta(days=10)
    sim._on_MatchProposed(event("MatchProposed", home_id, match_id,
                                deadline=deadline.isoformat(),
                                intake_submitted_at=datetime(2041, 2, 1, tzinfo=UTC).isoformat()))
    await sim._do_decide(match_id, home_id, 1, Decision("accept", 2), "scm01")
    assert sent.calls == [("POST", f"/matches/{match_id}/accept")]
