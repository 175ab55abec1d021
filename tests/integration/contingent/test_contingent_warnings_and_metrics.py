"""Warnings when a share runs out or the contingent is nearly used (events and the view), and
the Prometheus gauges and counters per year and member."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.contingent.support import Region, kinds

pytestmark = pytest.mark.infra


def metric(text: str, name: str, year: int, member_id: str) -> float | None:
    for line in text.splitlines():
        if (line.startswith(name + "{") and f'year="{year}"' in line
                and f'member_id="{member_id}"' in line):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_warnings_when_a_share_runs_out_and_the_contingent_is_nearly_used(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 2, b: 8}, 10)
    case = uuid.uuid4()
    homes = [(uuid.uuid4(), a) for _ in range(2)] + [(uuid.uuid4(), b) for _ in range(7)]
    for home, member in homes:
        await region.tenancy(home, member, case_id=case)
    await region.ledger_until(lambda e: kinds(e, homes[-1][0]) == ["consumed"])

    exhausted = await region.events("ShareExhausted", lambda d: d["year"] == region.year,
                                    count=2, seconds=8)
    assert [(e["data"]["member_id"], e["data"]["share"], e["data"]["used"])
            for e in exhausted] == [(a, 2, 2)]
    [nearly] = await region.events("ContingentNearlyUsed", lambda d: d["year"] == region.year)
    assert (nearly["data"]["used_homes"], nearly["data"]["total_homes"],
            nearly["data"]["threshold_percent"]) == (9, 10, 90)
    warnings = (await region.view())["warnings"]
    assert (warnings["exhausted"], warnings["nearly_used"], warnings["used_fraction"]) == (
        [a], True, 0.9)


async def test_gauges_and_counters_follow_the_ledger_per_year_and_member(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    let, withdrawn = uuid.uuid4(), uuid.uuid4()
    await region.request(let, [a, b])
    await region.request(withdrawn, [a, b])
    await region.ledger_until(lambda e: len(e) == 2)
    await region.tenancy(let, a)
    await region.withdraw(withdrawn)
    await region.ledger_until(lambda e: len(e) == 4)

    text = (await region.http.get(f"{region.url}/metrics")).text
    y = region.year
    assert metric(text, "transferpunt_contingent_share", y, a) == 6
    assert metric(text, "transferpunt_contingent_used", y, a) == 1
    assert metric(text, "transferpunt_contingent_in_flight", y, b) == 0
    assert metric(text, "transferpunt_contingent_remaining", y, a) == 5
    assert metric(text, "transferpunt_contingent_deviation", y, a) == pytest.approx(0.4)
    assert metric(text, "transferpunt_contingent_deviation", y, b) == pytest.approx(-0.4)
    assert metric(text, "transferpunt_contingent_allocations_total", y, a) == 1
    assert metric(text, "transferpunt_contingent_allocations_total", y, b) == 1
    assert metric(text, "transferpunt_contingent_consumptions_total", y, a) == 1
    assert metric(text, "transferpunt_contingent_releases_total", y, b) == 1
    assert metric(text, "transferpunt_contingent_skips_total", y, a) is None
