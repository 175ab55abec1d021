"""The ledger, fed by matching's events on real Kafka: allocations answered on Kafka, tenancies
consumed, withdrawals and new rounds released, every entry traceable to its event; filters
and CSV export over HTTP."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest

from tests.integration.contingent.support import AT, COORDINATOR, Region, kinds, next_year

pytestmark = pytest.mark.infra


async def test_an_allocation_request_is_answered_on_kafka_keyed_by_the_home(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    home = uuid.uuid4()
    request_id = await region.request(home, [a, b], round=1)

    answer = await region.decided(home)
    assert answer["producer"] == "contingent" and answer["case_id"] == str(home)
    standings = answer["data"].pop("standings")
    assert answer["data"] == {
        "home_id": str(home), "contingent_year": region.year, "round": 1, "member_id": a,
        "home_number": 1, "skipped": False, "reason": answer["data"]["reason"]}
    # Each member's place in the quota rule at that moment, in exact fractions.
    assert {s["member_id"]: (s["share"], s["received"], s["ideal_to_date"], s["priority"])
            for s in standings} == {a: (6, 0, "3/5", "1/6"), b: (4, 0, "2/5", "1/4")}
    assert a in answer["data"]["reason"] and len(answer["data"]["reason"]) <= 500
    [entry] = await region.ledger_until(lambda e: kinds(e, home) == ["allocated"])
    assert (entry["member_id"], entry["event_id"], entry["event_type"], entry["round"],
            entry["sequence"]) == (a, str(request_id), "AllocationRequested", 1, 1)


async def test_a_tenancy_converts_the_allocation_and_uses_the_share(region: Region) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    home = uuid.uuid4()
    await region.request(home, [a, b])
    await region.ledger_until(lambda e: kinds(e, home) == ["allocated"])
    line = (await region.lines())[a]
    assert (line["used"], line["allocated"], line["remaining"]) == (0, 1, 5)

    tenancy_id = await region.tenancy(home, a, corporation="c77")
    entries = await region.ledger_until(lambda e: kinds(e, home) == ["allocated", "consumed"])
    consumed = entries[-1]
    assert (consumed["member_id"], consumed["event_id"], consumed["event_type"],
            consumed["corporation_id"], consumed["note"]) == (
        a, str(tenancy_id), "TenancyStarted", "c77", "allocation converted")
    line = (await region.lines())[a]
    assert (line["used"], line["allocated"], line["remaining"], line["share"]) == (1, 0, 5, 6)
    assert line["ideal_to_date"] == pytest.approx(0.6) and line["deviation"] == pytest.approx(0.4)


async def test_a_home_withdrawn_before_tenancy_gives_the_member_its_place_back(
    region: Region,
) -> None:
    a = region.member()
    await region.setup({a: 3}, 3)
    home = uuid.uuid4()
    await region.request(home, [a])
    await region.ledger_until(lambda e: kinds(e, home) == ["allocated"])
    await region.withdraw(home)
    entries = await region.ledger_until(lambda e: kinds(e, home) == ["allocated", "released"])
    assert entries[-1]["note"] == "home withdrawn"
    assert entries[-1]["event_type"] == "HomeWithdrawn"
    line = (await region.lines())[a]
    assert (line["used"], line["allocated"], line["remaining"]) == (0, 0, 3)


async def test_a_new_round_releases_the_earlier_allocation_before_deciding_again(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    home = uuid.uuid4()
    await region.request(home, [a, b], round=1)
    await region.ledger_until(lambda e: kinds(e, home) == ["allocated"])
    # The proposal to a's client fell through; only b has an eligible candidate now.
    await region.request(home, [b], round=2)
    entries = await region.ledger_until(
        lambda e: kinds(e, home) == ["allocated", "released", "allocated"])
    assert [(e["member_id"], e["note"], e["round"]) for e in entries] == [
        (a, "", 1), (a, "re-allocated", 2), (b, "", 2)]
    assert (await region.decided(home, round=2))["data"]["member_id"] == b
    lines = await region.lines()
    assert (lines[a]["allocated"], lines[b]["allocated"]) == (0, 1)


async def test_a_repeated_tenancy_counts_once(region: Region) -> None:
    a = region.member()
    await region.setup({a: 5}, 5)
    home, case = uuid.uuid4(), uuid.uuid4()
    await region.tenancy(home, a, case_id=case)
    await region.tenancy(home, a, case_id=case)  # matching reported it again (new event id)
    marker = uuid.uuid4()
    await region.tenancy(marker, a, case_id=case)  # same key: processed after the repeat
    entries = await region.ledger_until(lambda e: kinds(e, marker) == ["consumed"])
    assert kinds(entries, home) == ["consumed"]
    assert entries[0]["note"] == "direct"
    assert (await region.lines())[a]["used"] == 2


async def test_a_tenancy_the_contingent_cannot_record_goes_to_dead_letters_with_the_reason(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 5, b: 5}, 10)
    home = uuid.uuid4()
    await region.tenancy(home, a)
    await region.ledger_until(lambda e: kinds(e, home) == ["consumed"])
    await region.tenancy(home, b)  # the same home let again, to another member's client
    [dead] = await region.dead_letters(str(home))
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers["dlq_kind"] == "processing_failed"
    assert "HomeAlreadyConsumed" in headers["dlq_reason"] and a in headers["dlq_reason"]
    assert kinds(await region.ledger(), home) == ["consumed"]


async def test_an_allocation_without_a_contingent_names_nobody_and_says_why(
    region: Region,
) -> None:
    home, year = uuid.uuid4(), next_year()
    await region.request(home, [region.member()], year=year)
    data = (await region.decided(home))["data"]
    assert data["member_id"] is None and data["contingent_year"] == year
    assert data["reason"] == f"no contingent has been set for {year}"


async def test_the_ledger_filters_by_member_kind_home_and_business_day(region: Region) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 5, b: 5}, 10)
    h1, h2, h3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    day1, day2, day3 = AT, AT + timedelta(days=1), AT + timedelta(days=2)
    await region.request(h1, [a], at=day1)
    await region.request(h2, [b], at=day2)
    await region.tenancy(h3, b, at=day3)
    await region.ledger_until(lambda e: len(e) == 3)

    def homes(entries: list[dict[str, object]]) -> set[str]:
        return {str(e["home_id"]) for e in entries}  # three keys, three partitions: any order

    assert homes(await region.ledger(member_id=b)) == {str(h2), str(h3)}
    assert homes(await region.ledger(kind="consumed")) == {str(h3)}
    assert homes(await region.ledger(home_id=str(h2))) == {str(h2)}
    assert homes(await region.ledger(**{"from": "2027-03-02"})) == {str(h2), str(h3)}
    assert homes(await region.ledger(to="2027-03-02")) == {str(h1), str(h2)}
    assert homes(await region.ledger(**{"from": "2027-03-02", "to": "2027-03-02"})) == {str(h2)}
    r = await region.http.get(f"{region.url}/contingents/{region.year}/ledger",
                              headers=COORDINATOR, params={"from": "2027-03-03",
                                                           "to": "2027-03-01"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "from"


async def test_the_ledger_exports_as_csv(region: Region) -> None:
    a = region.member()
    await region.setup({a: 5}, 5)
    home = uuid.uuid4()
    await region.request(home, [a])
    # The request is keyed by the home, the tenancy by the case: different partitions. In
    # the real flow the tenancy comes long after the allocation (proposal, acceptance, lease);
    # here it must wait for it, or the contingent may see the tenancy first.
    await region.ledger_until(lambda e: kinds(e, home) == ["allocated"])
    await region.tenancy(home, a, corporation="c42")
    entries = await region.ledger_until(lambda e: kinds(e, home) == ["allocated", "consumed"])

    url = f"{region.url}/contingents/{region.year}/ledger"
    by_query = await region.http.get(url, headers=COORDINATOR, params={"format": "csv"})
    by_accept = await region.http.get(url, headers={**COORDINATOR, "Accept": "text/csv"})
    for r in (by_query, by_accept):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert f"contingent-{region.year}-ledger.csv" in r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert [(row["sequence"], row["kind"], row["member_id"], row["event_id"],
                 row["corporation_id"]) for row in rows] == [
            (str(e["sequence"]), e["kind"], e["member_id"], e["event_id"],
             e["corporation_id"] or "") for e in entries]
    filtered = await region.http.get(url, headers=COORDINATOR,
                                     params={"format": "csv", "kind": "consumed"})
    assert [row["kind"] for row in csv.DictReader(io.StringIO(filtered.text))] == ["consumed"]
