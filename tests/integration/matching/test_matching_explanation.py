"""GET /homes/{id}/explanation: per proposal, the candidates considered, why each ineligible
one was excluded, the contingent's answer at that moment, and why the winner won."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.matching.support import COORDINATOR, Scenario, auth

pytestmark = pytest.mark.infra


async def test_explanation_shows_every_candidate_the_exclusions_the_contingent_and_the_winner(
    scenario: Scenario,
) -> None:
    s = scenario
    owed, other = s.member(1), s.member(2)
    await s.contingent({owed: 6, other: 4})
    now = await s.now()
    winner = await s.intake(owed, urgency="high", submitted_at=now - timedelta(days=5))
    runner_up = await s.intake(owed, submitted_at=now - timedelta(days=50))
    excluded = await s.intake(owed, excluded_municipalities=["Enschede"])
    too_big = await s.intake(other, household={"adults": 2, "children": 3},
                             required_bedrooms=3)
    home_id = await s.offer()
    first = await s.open_proposal(home_id)
    assert first["case_id"] == str(winner.case_id)

    r = await s.http.get(f"{s.url}/homes/{home_id}/explanation", headers=COORDINATOR)
    assert r.status_code == 200, r.text
    [proposal] = r.json()["proposals"]
    explanation = proposal["explanation"]
    by_ref = {c["client_ref"]: c for c in explanation["candidates"]}
    assert {winner.client_ref, runner_up.client_ref, excluded.client_ref,
            too_big.client_ref} <= set(by_ref)
    assert by_ref[winner.client_ref]["eligible"] and by_ref[winner.client_ref][
        "rank_in_member"] == 1
    assert by_ref[runner_up.client_ref]["rank_in_member"] == 2
    assert [f["code"] for f in by_ref[excluded.client_ref]["excluded_because"]] == [
        "municipality_excluded"]
    assert "too_few_bedrooms" in [f["code"] for f in by_ref[too_big.client_ref][
        "excluded_because"]]
    contingent = explanation["contingent"]
    assert contingent["member_id"] == owed
    assert owed in contingent["eligible_members"] and other not in contingent["eligible_members"]
    assert contingent["reason"] and contingent["home_number"] >= 1
    assert explanation["winner"]["client_ref"] == winner.client_ref
    why = " ".join(explanation["winner"]["why"])
    assert owed in why and "urgency (high)" in why

    # after a decline, the next proposal explains why the first client is out
    r = await s.decide(first["match_id"], "decline", reason="client_unreachable")
    second = await s.next_proposal(home_id, after=first)
    assert second["case_id"] == str(runner_up.case_id)
    r = await s.http.get(f"{s.url}/homes/{home_id}/explanation", headers=COORDINATOR)
    later = r.json()["proposals"][1]["explanation"]
    again = {c["client_ref"]: c for c in later["candidates"]}[winner.client_ref]
    assert [f["code"] for f in again["excluded_because"]] == ["previously_declined_for_home"]
    assert "the only eligible candidate" in " ".join(later["winner"]["why"])

    # the corporation sees the reasoning, but no client reference
    r = await s.http.get(f"{s.url}/homes/{home_id}/explanation",
                         headers=auth("corporation", s.corporation()))
    assert r.status_code == 200
    for intake in (winner, runner_up, excluded, too_big):
        assert intake.client_ref not in r.text
    assert r.json()["proposals"][0]["explanation"]["candidates"][0]["candidate"] == 1
