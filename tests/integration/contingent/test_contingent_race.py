"""Changes to one year are serialised: a close or a redistribution racing a stream of
allocations and tenancies loses no update, and no home is consumed twice."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import pytest

from shared.events import Event, envelope_for
from shared.events.matching import AllocationRequested
from shared.topics import dead_letter_topic, events_topic
from tests.integration.contingent.support import (
    AT,
    COORDINATOR,
    Region,
    tenancy_started,
)
from tests.support.kafka import envelope_of, find_records

pytestmark = pytest.mark.infra


async def _storm(region: Region, events: list[tuple[Event, uuid.UUID]]) -> None:
    """Publish all at once, each under its own key (so over every partition)."""
    sends = []
    for event, key in events:
        envelope = envelope_for(event, case_id=key, occurred_at=AT, recorded_at=AT)
        sends.append(await region.producer.send(
            events_topic("matching"), envelope.to_bytes(), key=str(key).encode()))
    await asyncio.gather(*sends)


def _holdings(entries: list[dict[str, Any]]) -> dict[str, str]:
    held: dict[str, str] = {}
    for e in entries:
        if e["kind"] == "released":
            held.pop(e["home_id"], None)
        else:
            held[e["home_id"]] = e["member_id"]
    return held


async def test_a_close_racing_tenancies_counts_exactly_those_recorded_before_it(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 100, b: 100}, 200)
    homes = [(uuid.uuid4(), (a, b)[i % 2]) for i in range(150)]
    events = [(tenancy_started(region.year, h, m), uuid.uuid4()) for h, m in homes]

    async def in_waves() -> None:
        # A stream, not one storm: the consumer takes up to 50 events per transaction
        # (`transaction_seconds`), and one storm of 150 was recorded whole before the close
        # could land in it.
        for first in range(0, len(events), 25):
            await _storm(region, events[first:first + 25])
            await asyncio.sleep(0.15)

    streaming = asyncio.create_task(in_waves())
    await region.ledger_until(lambda e: len(e) >= 10, seconds=60, every=0.02)
    closed = await region.post("/close")
    await streaming
    assert closed.status_code == 200, closed.text
    balances = closed.json()["closed"]["balances"]

    recorded = await region.ledger()
    consumed = [e["home_id"] for e in recorded if e["kind"] == "consumed"]
    assert 10 <= len(consumed) < len(homes), "the close did not land mid-stream"
    assert len(set(consumed)) == len(consumed)  # no home consumed twice
    # The close saw exactly the tenancies recorded before it: none slipped in after.
    assert sum(x["used"] for x in balances) == len(consumed)
    assert {x["member_id"]: x["used"] for x in balances} == {
        m: sum(1 for e in recorded if e["member_id"] == m) for m in (a, b)}
    # Every later tenancy was refused on the dead-letter topic, none silently lost.
    ours = {str(h) for h, _ in homes} - set(consumed)
    dead = await find_records(
        region.bootstrap, dead_letter_topic("contingent"),
        lambda r: envelope_of(r).get("data", {}).get("home_id") in ours,
        count=len(ours), seconds=90)
    assert {envelope_of(r)["data"]["home_id"] for r in dead} == ours
    assert all(b"YearClosed" in dict(r.headers)["dlq_reason"] for r in dead)
    assert len(await region.ledger()) == len(recorded)


async def test_redistributions_racing_allocations_and_tenancies_lose_no_update(
    region: Region,
) -> None:
    members = [region.member() for _ in range(3)]
    await region.setup(dict.fromkeys(members, 50), 120)
    initial = {s["member_id"]: s["share"] for s in (await region.view())["shares"]}
    rng = random.Random(7)
    requested = [uuid.uuid4() for _ in range(60)]
    let = [(uuid.uuid4(), rng.choice(members)) for _ in range(30)]
    storm: list[tuple[Event, uuid.UUID]] = [
        (AllocationRequested(home_id=h, contingent_year=region.year, round=1,
                             eligible_members=members), h) for h in requested]
    storm += [(tenancy_started(region.year, h, m), uuid.uuid4()) for h, m in let]
    rng.shuffle(storm)
    publishing = asyncio.create_task(_storm(region, storm))

    async def redistribute() -> int:
        needs = [{"member_id": m, "need": rng.randint(40, 80)} for m in members]
        return (await region.post("/redistribute", {"needs": needs})).status_code

    statuses: list[int] = []
    for _ in range(8):
        statuses += await asyncio.gather(redistribute(), redistribute())
        await asyncio.sleep(0.05)
    await publishing
    assert statuses == [200] * 16
    entries = await region.ledger_until(lambda e: len(e) == 90, seconds=60)

    records = (await region.http.get(
        f"{region.url}/contingents/{region.year}/redistributions", headers=COORDINATOR)).json()
    assert len(records) == 16
    in_force = initial
    for record in records:
        before = {s["member_id"]: s["share_before"] for s in record["shares"]}
        after = {s["member_id"]: s["share_after"] for s in record["shares"]}
        # Each redistribution started from the shares the previous one left…
        assert before == in_force
        # …and its pool is exactly what the ledger held unused at its moment.
        held = _holdings(entries[:record["after_entry"]])
        assert record["pool"] == 120 - len(held)
        assert all(after[m] >= sum(1 for x in held.values() if x == m) for m in members)
        in_force = after
    assert {m: s["share"] for m, s in (await region.lines()).items()} == in_force

    # Every allocation was decided on the shares in force at its place in the ledger.
    for entry in (e for e in entries if e["kind"] == "allocated"):
        shares = initial
        for record in records:
            if record["after_entry"] < entry["sequence"]:
                shares = {s["member_id"]: s["share_after"] for s in record["shares"]}
        r = await region.http.get(
            f"{region.url}/contingents/{region.year}/explanations/{entry['home_id']}",
            headers=COORDINATOR)
        [decision] = r.json()["decisions"]
        assert {s["member_id"]: s["share"] for s in decision["considered"]} == {
            m: v for m, v in shares.items() if v > 0}
        assert decision["home_number"] == len(_holdings(entries[:entry["sequence"] - 1])) + 1

    consumed = [e["home_id"] for e in entries if e["kind"] == "consumed"]
    assert len(consumed) == len(set(consumed)) == len(let)
    assert sorted(_holdings(entries)) == sorted(str(h) for h in (*requested,
                                                                 *(h for h, _ in let)))
