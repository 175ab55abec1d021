"""Throughput in business time and counters, with bounded labels only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.matching.support import Scenario

pytestmark = pytest.mark.infra


def value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_proposals_declines_and_tenancies_in_business_time(
    scenario: Scenario,
) -> None:
    s = scenario
    member, corporation = s.member(), s.corporation()
    await s.contingent({member: 5})
    now = await s.now()
    first = await s.intake(member, urgency="urgent", submitted_at=now - timedelta(days=20))
    second = await s.intake(member, submitted_at=now - timedelta(days=40))
    home_id = await s.offer(municipality="Hengelo")
    one = await s.open_proposal(home_id)
    await s.decide(one["match_id"], "decline", reason="risk_not_mitigated")
    two = await s.next_proposal(home_id, after=one)
    await s.decide(two["match_id"], "accept")
    today = (await s.now()).date()
    r = await s.decide(two["match_id"], "tenancy", signed_on=today.isoformat(),
                       start_date=(today + timedelta(days=10)).isoformat())
    assert r.status_code == 200, r.text

    text = (await s.http.get(f"{s.url}/metrics")).text
    assert value(text, "transferpunt_matching_proposals_total", member_id=member,
                 corporation_id=corporation, municipality="Hengelo") == 2
    assert value(text, "transferpunt_matching_declines_total", corporation_id=corporation,
                 reason="risk_not_mitigated") == 1
    assert value(text, "transferpunt_matching_tenancies_total", member_id=member,
                 corporation_id=corporation, municipality="Hengelo") == 1
    # business time: the first proposal came 20 and 40 days after the intakes
    assert value(text, "transferpunt_matching_intake_to_first_proposal_seconds_count",
                 member_id=member) == 2
    assert value(text, "transferpunt_matching_intake_to_first_proposal_seconds_bucket",
                 member_id=member, le="2.592e+06") == 1  # within 30 days: the urgent one
    assert value(text, "transferpunt_matching_intake_to_tenancy_start_seconds_bucket",
                 member_id=member, municipality="Hengelo", le="5.184e+06") == 1  # < 60 days
    assert value(text, "transferpunt_matching_proposal_to_decision_seconds_count",
                 corporation_id=corporation, reason="accepted") == 1
    for reference in (home_id, one["match_id"], str(first.case_id), first.client_ref,
                      str(second.case_id)):
        assert reference not in text
