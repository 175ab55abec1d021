"""Redistribution, members leaving, closing a year and carrying its unused shares over, over
HTTP with the ledger fed through real Kafka."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.contingent.support import COORDINATOR, Region, kinds, next_year

pytestmark = pytest.mark.infra


async def _consume(region: Region, member_id: str, homes: int) -> None:
    """`homes` tenancies started for the member's clients, recorded in the ledger."""
    case = uuid.uuid4()
    ids = [uuid.uuid4() for _ in range(homes)]
    for home in ids:
        await region.tenancy(home, member_id, case_id=case)
    await region.ledger_until(lambda e: kinds(e, ids[-1]) == ["consumed"])


async def test_redistribution_shares_the_unused_part_among_unmet_need_by_the_method(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    await _consume(region, a, 2)
    await _consume(region, b, 1)
    # Pool 10 - 3 = 7; unmet need a 6-2 = 4, b 8-1 = 7 (b's need rose to 8). Sainte-Laguë on
    # 4 and 7: 7, 4, 2.33, 1.4, 1.33, 1.0, 0.8 → b 4, a 3. New share = used + part.
    r = await region.post("/redistribute", {"needs": [{"member_id": b, "need": 8}],
                                            "note": "b's waiting list doubled"})
    assert r.status_code == 200, r.text
    record = r.json()["redistribution"]
    assert (record["pool"], record["unallocated"], record["after_entry"], record["note"]) == (
        7, 0, 3, "b's waiting list doubled")
    assert [(s["member_id"], s["unmet_need"], s["share_before"], s["share_after"])
            for s in record["shares"]] == [(a, 4, 6, 5), (b, 7, 4, 5)]
    lines = await region.lines()
    assert [(lines[m]["need"], lines[m]["share"], lines[m]["used"], lines[m]["remaining"])
            for m in (a, b)] == [(6, 5, 2, 3), (8, 5, 1, 4)]

    [event] = await region.events("Redistributed", lambda d: d["year"] == region.year)
    assert event["data"]["cause"] == "coordinator" and event["data"]["pool"] == 7
    assert "note" not in event["data"]  # the coordinator's words stay in the database
    history = await region.http.get(
        f"{region.url}/contingents/{region.year}/redistributions", headers=COORDINATOR)
    assert [h["after_entry"] for h in history.json()] == [3]


async def test_a_member_that_leaves_keeps_its_history_and_its_unused_share_goes_to_others(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    await _consume(region, a, 1)
    r = await region.http.post(f"{region.url}/members/{a}/deactivate", headers=COORDINATOR)
    assert r.status_code == 200, r.text
    assert r.json()["member"]["active"] is False
    [record] = r.json()["redistributions"]
    assert (record["year"], record["pool"]) == (region.year, 9)

    lines = await region.lines()
    assert (lines[a]["active"], lines[a]["share"], lines[a]["used"]) == (False, 1, 1)
    assert (lines[b]["share"], lines[b]["remaining"]) == (9, 9)
    assert [e["kind"] for e in await region.ledger(member_id=a)] == ["consumed"]
    [event] = await region.events("Redistributed", lambda d: d["year"] == region.year)
    assert (event["data"]["cause"], event["data"]["member_id"]) == ("member_left", a)

    home = uuid.uuid4()  # a's candidate no longer counts
    await region.request(home, [a, b])
    assert (await region.decided(home))["data"]["member_id"] == b
    again = await region.http.post(f"{region.url}/members/{a}/deactivate", headers=COORDINATOR)
    assert again.status_code == 409
    r = await region.http.put(f"{region.url}/contingents/{next_year()}", headers=COORDINATOR,
                              json={"total_homes": 5, "members": [{"member_id": a, "need": 1}]})
    assert r.status_code == 422 and "left" in r.json()["detail"][0]["message"]


async def test_a_year_closes_only_when_nothing_is_in_flight_or_it_is_counted_as_used(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    await _consume(region, a, 1)
    flying = uuid.uuid4()
    await region.request(flying, [a])
    await region.ledger_until(lambda e: kinds(e, flying) == ["allocated"])

    refused = await region.post("/close")
    assert refused.status_code == 409 and str(flying) in refused.json()["detail"]
    r = await region.post("/close", {"count_in_flight_as_used": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "closed"
    assert body["closed"]["in_flight_counted_as_used"] == [str(flying)]
    assert [(x["member_id"], x["share"], x["used"], x["balance"], x["unused"], x["overrun"])
            for x in body["closed"]["balances"]] == [(a, 6, 2, 4, 4, 0), (b, 4, 0, 4, 4, 0)]
    [event] = await region.events("ContingentClosed", lambda d: d["year"] == region.year)
    assert event["data"]["in_flight_counted_as_used"] == 1
    assert [(x["member_id"], x["unused"]) for x in event["data"]["balances"]] == [(a, 4), (b, 4)]


async def test_a_closed_year_refuses_every_change(region: Region) -> None:
    a = region.member()
    await region.setup({a: 4}, 4)
    assert (await region.post("/close")).status_code == 200

    assert (await region.post("/close")).status_code == 409
    assert (await region.post("/redistribute")).status_code == 409
    assert (await region.put({a: 5}, 5, expect=409))["detail"].startswith(
        f"The {region.year} contingent is closed")
    home = uuid.uuid4()
    await region.request(home, [a])
    data = (await region.decided(home))["data"]
    assert data["member_id"] is None and "closed" in data["reason"]
    await region.tenancy(home, a)
    [dead] = await region.dead_letters(str(home))
    assert "YearClosed" in dict(dead.headers)["dlq_reason"].decode()
    assert await region.ledger() == []


async def test_carry_over_adds_the_unused_share_of_a_closed_year_to_the_need(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 2, b: 2}, 4)
    await _consume(region, a, 2)
    closed = await region.post("/close")
    assert [(x["member_id"], x["unused"]) for x in closed.json()["closed"]["balances"]] == [
        (a, 0), (b, 2)]

    # PUT with carry_over_from: b's need 3 + 2 unused = 5. Sainte-Laguë, 6 homes on 3 and 5:
    # 5, 3, 1.67, 1, 1, 0.71 → a 2, b 4 (without the carry-over: 3 and 3).
    following = next_year()
    body = await region.put({a: 3, b: 3}, 6, year=following, carry_over_from=region.year)
    assert body["carried_over_from"] == region.year
    assert [(s["declared_need"], s["carried_over"], s["need"], s["share"])
            for s in body["shares"]] == [(3, 0, 3, 2), (3, 2, 5, 4)]
    [event] = await region.events("ContingentSet", lambda d: d["year"] == following)
    assert event["data"]["carried_over_from"] == region.year


async def test_carry_over_on_request_happens_once_and_before_the_first_home(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 2, b: 2}, 4)
    await _consume(region, a, 2)
    assert (await region.post("/close")).status_code == 200
    previous, region.year = region.year, next_year()

    opened = await region.put({a: 3, b: 3}, 6)
    assert [s["share"] for s in opened["shares"]] == [3, 3]
    r = await region.post("/carry-over", {"from_year": previous})
    assert r.status_code == 200, r.text
    assert [(s["carried_over"], s["share"]) for s in r.json()["shares"]] == [(0, 2), (2, 4)]
    again = await region.post("/carry-over", {"from_year": previous})
    assert again.status_code == 409 and "already carries over" in again.json()["detail"]

    open_year, later_year = next_year(), next_year()
    r = await region.post("/carry-over", {"from_year": open_year})
    assert r.status_code == 422 and "not earlier" in r.json()["detail"][0]["message"]
    await region.put({a: 1}, 1, year=open_year)
    await region.put({a: 1}, 1, year=later_year)
    r = await region.http.post(f"{region.url}/contingents/{later_year}/carry-over",
                               headers=COORDINATOR, json={"from_year": open_year})
    assert r.status_code == 422 and "not closed" in r.json()["detail"][0]["message"]

    region.year = later_year  # a home allocated first: too late to carry over
    home = uuid.uuid4()
    await region.request(home, [a])
    await region.ledger_until(lambda e: kinds(e, home) == ["allocated"])
    r = await region.post("/carry-over", {"from_year": previous})
    assert r.status_code == 409 and "already been allocated" in r.json()["detail"]
