"""Every allocation is explainable: the stored explanation of each decision, skips recorded,
answers shortened for Kafka but kept whole for the coordinator, and a what-if that changes
nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.contingent.support import COORDINATOR, Region, kinds

pytestmark = pytest.mark.infra


async def _explanation(region: Region, home: uuid.UUID) -> dict[str, Any]:
    r = await region.http.get(
        f"{region.url}/contingents/{region.year}/explanations/{home}", headers=COORDINATOR)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_the_explanation_shows_who_was_considered_owed_eligible_and_why_the_winner_won(
    region: Region,
) -> None:
    a, b, c = region.member(), region.member(), region.member()
    await region.setup({a: 6, b: 3, c: 1}, 10)
    first, second = uuid.uuid4(), uuid.uuid4()
    await region.request(first, [a, b, c])
    await region.ledger_until(lambda e: kinds(e, first) == ["allocated"])
    outsider = f"x{region.run}"
    await region.request(second, [b, c, outsider])
    await region.ledger_until(lambda e: kinds(e, second) == ["allocated"])

    body = await _explanation(region, second)
    assert body["holding"] == {"member_id": b, "status": "allocated"}
    [decision] = body["decisions"]
    assert (decision["round"], decision["member_id"], decision["home_number"],
            decision["skipped"]) == (1, b, 2, False)
    assert decision["eligible_members"] == sorted([b, c, outsider])
    assert decision["not_considered"] == [outsider]
    standings = {s["member_id"]: s for s in decision["considered"]}
    # Home 2 of H = 10: a has 1 of ideal 2·6/10 = 1.2; b 0 of 0.6; c 0 of 0.2.
    assert {m: (s["share"], s["received"], s["ideal_to_date_exact"], s["deviation_exact"],
                s["allowed"], s["eligible"], s["priority"]) for m, s in standings.items()} == {
        a: (6, 1, "6/5", "-1/5", True, False, "1/3"),
        b: (3, 0, "3/5", "-3/5", True, True, "1/3"),
        c: (1, 0, "1/5", "-1/5", True, True, "1"),
    }
    assert b in decision["reason"] and "1/3" in decision["reason"]


async def test_a_skip_of_the_quota_rule_is_recorded_and_explained(region: Region) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 1, b: 1}, 2)
    home = uuid.uuid4()
    await region.request(home, [a])
    await region.ledger_until(lambda e: kinds(e, home) == ["allocated"])
    taken = uuid.uuid4()
    # Home 2: only b is allowed (a holds its whole share), but only a has a candidate.
    await region.request(taken, [a])
    answer = (await region.decided(taken))["data"]
    assert (answer["member_id"], answer["skipped"], answer["home_number"]) == (a, True, 2)
    [decision] = (await _explanation(region, taken))["decisions"]
    assert decision["skipped"] and decision["exceeds_share"]
    assert "skipped" in decision["reason"] and b in decision["reason"]


async def test_a_decision_that_names_nobody_is_stored_too(region: Region) -> None:
    a = region.member()
    await region.setup({a: 2}, 2)
    home = uuid.uuid4()
    await region.request(home, [f"x{region.run}"])
    assert (await region.decided(home))["data"]["member_id"] is None
    [decision] = (await _explanation(region, home))["decisions"]
    assert decision["member_id"] is None and "no member" in decision["reason"]
    missing = await region.http.get(
        f"{region.url}/contingents/{region.year}/explanations/{uuid.uuid4()}",
        headers=COORDINATOR)
    assert missing.status_code == 404


async def test_a_long_reason_is_shortened_on_kafka_and_kept_whole_for_the_coordinator(
    region: Region,
) -> None:
    members = [f"m{region.run}long{i:02d}" for i in range(45)]
    await region.setup(dict.fromkeys(members, 1), 45)  # 45 members tied at 1/1 for home 1
    home = uuid.uuid4()
    await region.request(home, members)
    answer = (await region.decided(home))["data"]
    [decision] = (await _explanation(region, home))["decisions"]
    assert len(decision["reason"]) > 500
    assert len(answer["reason"]) <= 500
    assert answer["reason"].endswith(f"(full explanation: GET /contingents/{region.year}"
                                     f"/explanations/{home})")
    assert decision["reason"].startswith(answer["reason"].split(" … ")[0])


async def test_what_if_names_the_member_owed_the_next_home_without_recording_it(
    region: Region,
) -> None:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    for eligible, owed in (([a, b], a), ([b], b)):
        r = await region.post("/next-member", {"eligible_members": eligible})
        assert r.status_code == 200, r.text
        assert (r.json()["member_id"], r.json()["home_number"]) == (owed, 1)
    assert await region.ledger() == []
    assert (await region.view())["homes_allocated"] == 0
