"""The mediation flow over HTTP, real Kafka, PostgreSQL and the contingent service: offer →
propose → decline → next candidate → accept → tenancy, and the client's own answer."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.matching.domain.deadlines import decision_deadline
from tests.integration.matching.support import COORDINATOR, Scenario, auth
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra


async def test_declined_proposal_goes_to_the_next_candidate_and_ends_in_a_tenancy(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    now = await s.now()
    urgent = await s.intake(member, urgency="urgent", submitted_at=now - timedelta(days=10))
    waited_longer = await s.intake(member, submitted_at=now - timedelta(days=90))
    waited_less = await s.intake(member, submitted_at=now - timedelta(days=30))

    home_id = await s.offer(contract={"type": "intermediary", "omklap_after_months": 12})
    first = await s.open_proposal(home_id)
    assert first["case_id"] == str(urgent.case_id)  # urgency first
    proposed_at = datetime.fromisoformat(first["proposed_at"])
    assert datetime.fromisoformat(first["deadline"]) == decision_deadline(proposed_at)

    r = await s.decide(first["match_id"], "decline", reason="other",
                       note="NOTE-stays-in-matching")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "declined" and r.json()["decline_reason"] == "other"
    assert r.json()["decline_note"] == "NOTE-stays-in-matching"

    second = await s.next_proposal(home_id, after=first)
    assert second["case_id"] == str(waited_longer.case_id)  # then the longest wait
    r = await s.decide(second["match_id"], "decline", reason="home_unsuitable")
    assert r.status_code == 200, r.text
    third = await s.next_proposal(home_id, after=second)
    assert third["case_id"] == str(waited_less.case_id)
    assert str(urgent.case_id) not in {third["case_id"]}  # the declined never come back

    r = await s.decide(third["match_id"], "accept")
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    today = (await s.now()).date()
    r = await s.decide(third["match_id"], "tenancy", signed_on=today.isoformat(),
                       start_date=(today + timedelta(days=14)).isoformat())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "tenancy_started"
    assert body["tenancy"]["contract"]["type"] == "intermediary"
    assert body["tenancy"]["omklap_due_on"] == (today + timedelta(days=14)).replace(
        year=today.year + 1).isoformat()
    assert await s.home_status(home_id) == "let"

    [started] = await s.matching_events(
        lambda e: e.get("type") == "TenancyStarted" and e["data"]["home_id"] == home_id)
    assert started["case_id"] == str(waited_less.case_id)
    assert started["data"]["contract"]["omklap_after_months"] == 12
    declined = await s.matching_events(
        lambda e: e.get("type") == "MatchDeclined" and e["data"]["home_id"] == home_id,
        count=2)
    assert {e["data"]["reason"] for e in declined} == {"other", "home_unsuitable"}
    raw = await s.matching_events(lambda e: "NOTE-stays-in-matching" in str(e), seconds=3,
                                  count=1)
    assert raw == [], "a decline note went onto Kafka"

    # the note is the corporation's: the caseworker sees the reason, not the note
    r = await s.http.get(f"{s.url}/matches/{first['match_id']}",
                         headers=auth("caseworker", member))
    assert r.status_code == 200 and r.json()["decline_note"] is None


async def test_client_decline_recorded_by_the_caseworker_declines_the_proposal(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    first_client = await s.intake(member, urgency="high")
    second_client = await s.intake(member)
    home_id = await s.offer()
    first = await s.open_proposal(home_id)
    assert first["case_id"] == str(first_client.case_id)

    await s.client_responds(first_client, first["match_id"], "decline", reason="location")
    second = await s.next_proposal(home_id, after=first)
    assert second["case_id"] == str(second_client.case_id)
    r = await s.http.get(f"{s.url}/matches/{first['match_id']}",
                         headers=auth("corporation", s.corporation()))
    assert r.json()["status"] == "declined"
    assert r.json()["decline_reason"] == "client_declined"
    assert r.json()["declined_by"] == "client"
    [event] = await s.matching_events(
        lambda e: e.get("type") == "MatchDeclined"
        and e["data"]["match_id"] == first["match_id"])
    assert event["data"]["decided_by"] == "client"
    assert event["data"]["reason"] == "client_declined"

    # the client's "yes" is recorded; the corporation still decides
    await s.client_responds(second_client, second["match_id"], "accept")
    r = await s.decide(second["match_id"], "accept")
    assert r.status_code == 200, r.text


async def test_a_home_offered_before_anyone_fits_is_proposed_when_a_fitting_intake_arrives(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    home_id = await s.offer(bedrooms=3, rent="740.00")
    too_small_household = await s.intake(member, max_rent="800.00")  # single: lage grens

    async def waiting() -> bool:
        return await s.home_status(home_id) == "waiting"

    await eventually(waiting)
    family = await s.intake(member, household={"adults": 1, "children": 2},
                            required_bedrooms=3, max_rent="800.00")
    proposal = await s.open_proposal(home_id)
    assert proposal["case_id"] == str(family.case_id)
    assert await s.candidate_status(too_small_household) == "waiting"


async def test_a_member_joining_the_year_midway_gets_the_home_that_waited_for_its_client(
    scenario: Scenario,
) -> None:
    """A home asks only about members of its year, so the one client who fits, of a member
    without a share, leaves it waiting. A redistribution that brings the member into the year
    (Redistributed on Kafka) makes the home ask again, and the client is proposed."""
    s = scenario
    founder, newcomer = s.member(1), s.member(2)
    await s.contingent({founder: 5})
    await s.register(newcomer)
    client = await s.intake(newcomer)
    home_id = await s.offer()

    async def waiting() -> bool:
        return await s.home_status(home_id) == "waiting"

    await eventually(waiting)
    r = await s.http.post(f"{s.env.contingent_url}/contingents/{s.year}/redistribute",
                          headers=COORDINATOR,
                          json={"needs": [{"member_id": newcomer, "need": 3}]})
    assert r.status_code == 200, r.text
    proposal = await s.open_proposal(home_id)
    assert proposal["case_id"] == str(client.case_id)
