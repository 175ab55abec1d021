"""Bad input is refused with a reason a person can act on, and replayed or duplicated events
never create a second proposal."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from shared.topics import events_topic
from tests.integration.matching.support import Scenario, auth, profile
from tests.support.kafka import eventually, find_records, publish_raw

pytestmark = pytest.mark.infra


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"rent": "0.00"}, "rent", "greater than 0"),
    ({"rent": "2600.00"}, "rent", "less than or equal"),
    ({"bedrooms": 9}, "bedrooms", "less than or equal"),
    ({"bedrooms": -1}, "bedrooms", "greater than or equal"),
    ({"postcode4": "0123"}, "postcode4", "pattern"),
    ({"contract": {"type": "intermediary"}}, "request", "omklap_after_months"),
    ({"contract": {"type": "temporary"}}, "request", "term_months"),
    ({"contract": {"type": "own_name", "term_months": 12}}, "request", "only a temporary"),
])
async def test_a_home_out_of_range_or_a_contract_without_its_term_is_refused(
    scenario: Scenario, change: dict[str, Any], field: str, words: str,
) -> None:
    r = await scenario.http.post(f"{scenario.url}/homes",
                                 headers=auth("corporation", scenario.corporation()),
                                 json=scenario.home(**change))
    assert r.status_code == 422, r.text
    [problem] = r.json()["detail"]
    assert problem["field"] == field and words in problem["message"], problem


async def test_decisions_out_of_turn_are_conflicts_and_bad_dates_are_refused(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    await s.intake(member)
    home_id = await s.offer()
    match_id = (await s.open_proposal(home_id))["match_id"]

    r = await s.decide(match_id, "decline", reason="other")
    assert r.status_code == 422 and "note" in r.text
    r = await s.decide(match_id, "decline", reason="not_a_reason")
    assert r.status_code == 422
    r = await s.decide(match_id, "tenancy", signed_on="2027-01-01", start_date="2027-01-02")
    assert r.status_code == 409 and "accepted" in r.text
    assert (await s.decide(match_id, "accept")).status_code == 200
    r = await s.decide(match_id, "accept")
    assert r.status_code == 409 and "already accepted" in r.text
    r = await s.decide(match_id, "decline", reason="home_unsuitable")
    assert r.status_code == 409
    r = await s.decide(match_id, "tenancy", signed_on="2027-02-10", start_date="2027-02-01")
    assert r.status_code == 422 and "signed" in r.text
    assert r.json()["detail"][0]["field"] == "start_date"


async def test_replayed_and_duplicated_events_never_create_a_second_proposal(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    client = await s.intake(member, urgency="urgent")
    await s.intake(member)
    home_id = await s.offer()
    proposal = await s.open_proposal(home_id)
    assert proposal["case_id"] == str(client.case_id)

    [answer] = await find_records(
        s.env.bootstrap, events_topic("contingent"),
        lambda r: home_id in r.value.decode(errors="replace")
        and b"AllocationDecided" in r.value)
    replay = {**json.loads(answer.value), "event_id": str(uuid.uuid4())}
    await publish_raw(s.env.bootstrap, events_topic("contingent"), answer.value, answer.key)
    await publish_raw(s.env.bootstrap, events_topic("contingent"),
                      json.dumps(replay).encode(), answer.key)
    [submitted] = await find_records(
        s.env.bootstrap, events_topic("intake"),
        lambda r: str(client.case_id) in r.value.decode(errors="replace"))
    await publish_raw(s.env.bootstrap, events_topic("intake"), json.dumps(
        {**json.loads(submitted.value), "event_id": str(uuid.uuid4())}).encode(),
        submitted.key)

    async def replay_seen() -> bool:
        count = await s.sql_value(
            "SELECT count(*) FROM matching.processed_events WHERE event_id = :e",
            e=uuid.UUID(replay["event_id"]))
        return bool(count)

    await eventually(replay_seen)
    await asyncio.sleep(1)
    assert [m["match_id"] for m in await s.matches_of_home(home_id)] == [proposal["match_id"]]
    assert await s.sql_value("SELECT count(*) FROM matching.candidates WHERE case_id = :c",
                             c=client.case_id) == 1
    assert await s.candidate_status(client) == "proposed"


async def test_an_intake_the_rules_cannot_read_is_dead_lettered_not_guessed(
    scenario: Scenario,
) -> None:
    s = scenario
    case_id = uuid.uuid4()
    from shared.events.intake import IntakeSubmitted

    bad_profile = profile(preferred_municipalities=["Enschede"],
                          excluded_municipalities=["enschede"])
    await s.publish(IntakeSubmitted(client_ref=f"ref{case_id.hex}", member_id=s.member(),
                                    profile=bad_profile, consent=True), case_id)
    [dead] = await find_records(
        s.env.bootstrap, "transferpunt.matching.dead-letters",
        lambda r: str(case_id) in r.value.decode(errors="replace"), seconds=30)
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers["dlq_kind"] == "processing_failed"
    assert "preferred and excluded" in headers["dlq_reason"]
