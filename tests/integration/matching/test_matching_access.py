"""Who sees what: corporations their own homes and proposals (and of the client only the
non-identifying handover), caseworkers their own member's proposals, 404 where existence
must not leak."""

from __future__ import annotations

import pytest

from tests.integration.matching.support import COORDINATOR, Scenario, auth

pytestmark = pytest.mark.infra


async def test_another_corporation_can_neither_see_nor_decide_a_proposal(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    await s.intake(member)
    home_id = await s.offer()
    proposal = await s.open_proposal(home_id)
    match_id = proposal["match_id"]
    stranger = auth("corporation", s.corporation(2))

    for method, path, body in (
        ("GET", f"/homes/{home_id}", None),
        ("GET", f"/homes/{home_id}/explanation", None),
        ("POST", f"/homes/{home_id}/withdraw", None),
        ("GET", f"/matches/{match_id}", None),
        ("GET", f"/matches/{match_id}/handover", None),
        ("POST", f"/matches/{match_id}/accept", None),
        ("POST", f"/matches/{match_id}/decline", {"reason": "home_unsuitable"}),
        ("POST", f"/matches/{match_id}/tenancy",
         {"signed_on": "2027-01-01", "start_date": "2027-01-02"}),
    ):
        r = await s.http.request(method, f"{s.url}{path}", headers=stranger, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    for listing in ("/homes", "/matches"):
        r = await s.http.get(f"{s.url}{listing}", headers=stranger)
        assert r.status_code == 200 and home_id not in r.text
    assert (await s.matches_of_home(home_id))[0]["status"] == "proposed"


async def test_caseworkers_see_only_their_own_members_proposals_and_cannot_decide(
    scenario: Scenario,
) -> None:
    s = scenario
    member, other = s.member(1), s.member(2)
    await s.contingent({member: 5})
    await s.intake(member)
    home_id = await s.offer()
    match_id = (await s.open_proposal(home_id))["match_id"]

    own, foreign = auth("caseworker", member), auth("caseworker", other)
    r = await s.http.get(f"{s.url}/matches", headers=own)
    assert [m["match_id"] for m in r.json() if m["home_id"] == home_id] == [match_id]
    assert (await s.http.get(f"{s.url}/matches/{match_id}", headers=own)).status_code == 200
    r = await s.http.get(f"{s.url}/matches", headers=foreign)
    assert match_id not in r.text
    r = await s.http.get(f"{s.url}/matches/{match_id}", headers=foreign)
    assert r.status_code == 404
    r = await s.http.post(f"{s.url}/matches/{match_id}/accept", headers=own)
    assert r.status_code == 403
    r = await s.http.post(f"{s.url}/homes", headers=own, json=s.home())
    assert r.status_code == 403
    r = await s.http.get(f"{s.url}/homes/{home_id}/explanation", headers=own)
    assert r.status_code == 403
    r = await s.http.get(f"{s.url}/matches", headers=auth("supporter", member))
    assert r.status_code == 403
    r = await s.http.get(f"{s.url}/matches")
    assert r.status_code == 401
    r = await s.http.get(f"{s.url}/matches", headers=COORDINATOR)
    assert match_id in r.text


async def test_the_corporation_gets_a_warm_handover_without_identifying_fields(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    client = await s.intake(
        member, household={"adults": 1, "children": 1}, monthly_income="1234.56",
        max_rent="698.76", support_hours_per_week=6,
        risks=[{"category": "addiction", "mitigation": "weekly check-in with the FACT team"}])
    home_id = await s.offer(contract={"type": "temporary", "term_months": 24})
    match_id = (await s.open_proposal(home_id))["match_id"]

    r = await s.http.get(f"{s.url}/matches/{match_id}/handover",
                         headers=auth("corporation", s.corporation()))
    assert r.status_code == 200, r.text
    note = r.json()
    assert note["household"] == "1 adult and 1 child"
    assert note["support_hours_per_week"] == 6
    assert note["risks"] == [{"category": "addiction",
                              "mitigation": "weekly check-in with the FACT team"}]
    assert "temporary, for 24 months" in note["text"]
    for identifying in (client.client_ref, str(client.case_id), "1234.56", "698.76"):
        assert identifying not in r.text
    r = await s.http.get(f"{s.url}/matches/{match_id}/handover", headers=COORDINATOR)
    assert r.status_code == 403
