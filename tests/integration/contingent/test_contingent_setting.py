"""Setting a year over HTTP: the fixed payload, idempotent PUT, replacing an unused year,
pledges, and the ContingentSet event on Kafka."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.contingent.support import COORDINATOR, Region, kinds

pytestmark = pytest.mark.infra


async def test_put_returns_the_fixed_payload_with_textbook_shares(region: Region) -> None:
    a, b, c = region.member(), region.member(), region.member()
    body = await region.setup({a: 35, b: 15, c: 50}, 20, min_per_member=0, cap_at_need=True)
    assert {k: body[k] for k in ("year", "total_homes", "method")} == {
        "year": region.year, "total_homes": 20, "method": "sainte_lague"}
    assert [(s["member_id"], s["need"], s["share"], s["used"], s["remaining"],
             s["ideal_to_date"], s["deviation"]) for s in body["shares"]] == [
        (a, 35, 7, 0, 7, 0.0, 0.0), (b, 15, 3, 0, 3, 0.0, 0.0), (c, 50, 10, 0, 10, 0.0, 0.0)]
    assert body == await region.view()


async def test_shares_are_the_textbook_result_of_each_method(region: Region) -> None:
    # Needs 60, 19, 2 and 7 homes, worked by hand:
    # D'Hondt 60 30 20 19 15 12 10 → 6,1,0 · Sainte-Laguë 60 20 19 12 8.57 6.67 6.33 → 5,2,0 ·
    # Hamilton quotas 5.19 1.64 0.17, largest remainder to b → 5,2,0 ·
    # Huntington-Hill one each, then 42.4 24.5 17.3 (a) and b's 19/√2 = 13.44 > a's 60/√20
    # = 13.42 → 4,2,1.
    a, b, c = region.member(), region.member(), region.member()
    await region.register(a, b, c)
    expected = {"dhondt": [6, 1, 0], "sainte_lague": [5, 2, 0], "hamilton": [5, 2, 0],
                "huntington_hill": [4, 2, 1]}
    for method, shares in expected.items():
        body = await region.put({a: 60, b: 19, c: 2}, 7, method=method)
        assert [s["share"] for s in body["shares"]] == shares, method


async def test_a_true_tie_is_reported_and_broken_by_the_documented_rule(region: Region) -> None:
    # Sainte-Laguë, needs 3, 3, 2 and 4 homes: priorities 6, 6, 4, then both 3s at
    # 3 / (1 + ½) = 2 for the last home; the tie goes to the smaller member id.
    a, b, c = region.member(), region.member(), region.member()
    body = await region.setup({a: 3, b: 3, c: 2}, 4)
    assert [s["share"] for s in body["shares"]] == [2, 1, 1]
    assert body["ties"] == [{"members": [a, b], "homes": 1, "winners": [a], "losers": [b],
                             "value": "2"}]


async def test_the_same_put_again_changes_nothing_and_publishes_nothing(region: Region) -> None:
    a, b = region.member(), region.member()
    first = await region.setup({a: 6, b: 4}, 10)
    again = await region.put({a: 6, b: 4}, 10)
    assert again == first
    published = await region.events("ContingentSet", lambda d: d["year"] == region.year,
                                    count=2, seconds=8)
    assert len(published) == 1
    assert published[0]["data"]["shares"] == [
        {"member_id": a, "need": 6, "share": 6, "carried_over": 0},
        {"member_id": b, "need": 4, "share": 4, "carried_over": 0}]


async def test_an_unused_year_can_be_set_again_but_not_once_homes_flowed(region: Region) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    corrected = await region.put({a: 5, b: 5}, 10)
    assert [s["share"] for s in corrected["shares"]] == [5, 5]

    home = uuid.uuid4()
    await region.request(home, [a, b])
    await region.ledger_until(lambda e: kinds(e, home) == ["allocated"])
    r = await region.http.put(f"{region.url}/contingents/{region.year}", headers=COORDINATOR,
                              json={"total_homes": 10, "members": [
                                  {"member_id": a, "need": 7}, {"member_id": b, "need": 3}]})
    assert r.status_code == 409
    assert "redistribute" in r.json()["detail"]


async def test_pledges_are_kept_and_show_what_each_corporation_delivered(region: Region) -> None:
    a = region.member()
    body = await region.setup({a: 10}, 10, pledges=[
        {"corporation_id": f"c{region.run}1", "homes": 6},
        {"corporation_id": f"c{region.run}2", "homes": 4}])
    assert [(p["homes"], p["delivered"]) for p in body["pledges"]] == [(6, 0), (4, 0)]
    home = uuid.uuid4()
    await region.tenancy(home, a, corporation=f"c{region.run}2")
    await region.ledger_until(lambda e: kinds(e, home) == ["consumed"])
    delivered = {p["corporation_id"]: p["delivered"] for p in (await region.view())["pledges"]}
    assert delivered == {f"c{region.run}1": 0, f"c{region.run}2": 1}
