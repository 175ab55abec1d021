"""A withdrawn intake or a home withdrawn before tenancy releases what it held."""

from __future__ import annotations

import pytest

from tests.integration.matching.support import Scenario, auth
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra


async def test_intake_withdrawn_during_an_open_proposal_cancels_it_and_the_home_goes_on(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    leaving = await s.intake(member, urgency="urgent")
    next_in_line = await s.intake(member)
    home_id = await s.offer()
    first = await s.open_proposal(home_id)
    assert first["case_id"] == str(leaving.case_id)

    await s.withdraw_intake(leaving)
    second = await s.next_proposal(home_id, after=first)
    assert second["case_id"] == str(next_in_line.case_id)
    [cancelled] = await s.matching_events(
        lambda e: e.get("type") == "MatchCancelled"
        and e["data"]["match_id"] == first["match_id"])
    assert cancelled["data"]["cause"] == "intake_withdrawn"
    statuses = {m["match_id"]: m["status"] for m in await s.matches_of_home(home_id)}
    assert statuses[first["match_id"]] == "cancelled"
    assert await s.candidate_status(leaving) == "withdrawn"


async def test_home_withdrawn_during_an_open_proposal_cancels_it_and_the_client_waits_again(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    client = await s.intake(member)
    first_home = await s.offer()
    proposal = await s.open_proposal(first_home)
    second_home = await s.offer(postcode4="7512")

    async def waiting() -> bool:  # this test's only client is held by the first home
        return await s.home_status(second_home) == "waiting"

    await eventually(waiting)

    r = await s.http.post(f"{s.url}/homes/{first_home}/withdraw",
                          headers=auth("corporation", s.corporation()))
    assert r.status_code == 200 and r.json()["status"] == "withdrawn", r.text
    [withdrawn] = await s.matching_events(
        lambda e: e.get("type") == "HomeWithdrawn" and e["data"]["home_id"] == first_home)
    assert withdrawn["case_id"] == first_home
    [cancelled] = await s.matching_events(
        lambda e: e.get("type") == "MatchCancelled"
        and e["data"]["match_id"] == proposal["match_id"])
    assert cancelled["data"]["cause"] == "home_withdrawn"

    # released, the client goes to the home that was waiting for somebody like them
    moved = await s.open_proposal(second_home)
    assert moved["case_id"] == str(client.case_id)

    r = await s.http.post(f"{s.url}/homes/{first_home}/withdraw",
                          headers=auth("corporation", s.corporation()))
    assert r.status_code == 409


async def test_a_let_home_cannot_be_withdrawn(scenario: Scenario) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    await s.intake(member)
    home_id = await s.offer()
    proposal = await s.open_proposal(home_id)
    assert (await s.decide(proposal["match_id"], "accept")).status_code == 200
    today = (await s.now()).date().isoformat()
    r = await s.decide(proposal["match_id"], "tenancy", signed_on=today, start_date=today)
    assert r.status_code == 200, r.text

    r = await s.http.post(f"{s.url}/homes/{home_id}/withdraw",
                          headers=auth("corporation", s.corporation()))
    assert r.status_code == 409 and "let" in r.text
    assert await s.home_status(home_id) == "let"
