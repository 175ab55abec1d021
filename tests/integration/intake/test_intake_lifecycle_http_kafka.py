"""The intake's lifecycle over HTTP and real Kafka/PostgreSQL: draft → submitted → proposed →
housed → closed, the client's last word, back to waiting, withdrawal — with the events the
intake publishes and the events of matching and aftercare it follows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from shared.events.aftercare import AftercareCompleted
from shared.events.common import Contract
from shared.events.matching import (
    MatchCancelled,
    MatchDeclined,
    MatchExpired,
    MatchProposed,
    TenancyStarted,
)
from shared.topics import events_topic
from tests.integration.intake.support import (
    PERSONAL_VALUES,
    Intakes,
    intake_body,
    new_member,
    token,
)
from tests.support.kafka import envelope_of, find_records

pytestmark = pytest.mark.infra
NOW = datetime.now(UTC)


def proposal(intake: dict, match_id: uuid.UUID) -> MatchProposed:
    return MatchProposed(
        match_id=match_id, home_id=uuid.uuid4(), client_ref=intake["client_ref"],
        member_id=intake["member_id"], corporation_id="c-test", municipality="Utrecht",
        contingent_year=2001, deadline=NOW, intake_submitted_at=NOW,
    )


def decision(intake: dict, match_id: uuid.UUID) -> dict:
    return {"match_id": match_id, "home_id": uuid.uuid4(), "member_id": intake["member_id"],
            "corporation_id": "c-test", "proposed_at": NOW}


async def test_case_goes_from_draft_to_closed_following_matching_and_aftercare(
    intakes: Intakes,
) -> None:
    member = new_member()
    caseworker = token("caseworker", member)
    http, url = intakes.http, intakes.url
    PERSONAL_VALUES.update({"0698765432", "Nieuwe Woning 1, Utrecht", "oude contacten"})

    draft = await intakes.open(member, intake_body(submit=False))
    case_id = draft["case_id"]
    assert draft["status"] == "draft" and draft["submitted_at"] is None
    assert draft["client"] is None  # a write never answers with personal data

    r = await http.patch(f"{url}/intakes/{case_id}", headers=caseworker,
                         json={"monthly_income": "1400.00"})
    assert r.status_code == 200, r.text
    assert r.json()["changed_matching_fields"] == []  # matching does not know a draft

    r = await http.post(f"{url}/intakes/{case_id}/submit", headers=caseworker)
    assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
    waiting_since = r.json()["submitted_at"]
    r = await http.post(f"{url}/intakes/{case_id}/submit", headers=caseworker)
    assert r.status_code == 409

    r = await http.patch(f"{url}/intakes/{case_id}", headers=caseworker, json={
        "monthly_income": "1500.00", "client": {"phone": "0698765432"}})
    assert r.status_code == 200, r.text
    assert r.json()["changed_matching_fields"] == ["monthly_income"]

    # Matching proposes a home; the client first says yes, then no: the client has the last word.
    first = uuid.uuid4()
    await intakes.act_as(proposal(draft, first), case_id)
    case = await intakes.status_becomes(member, case_id, "proposed")
    assert case["current_match_id"] == str(first)
    r = await http.post(f"{url}/intakes/{case_id}/client-response", headers=caseworker,
                        json={"response": "accept"})
    assert r.status_code == 200 and r.json()["status"] == "proposed", r.text
    r = await http.post(f"{url}/intakes/{case_id}/client-response", headers=caseworker,
                        json={"response": "decline", "reason": "location",
                              "note": "de buurt is te dicht bij oude contacten"})
    assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
    assert r.json()["submitted_at"] == waiting_since
    # Matching's echo of the client's "no" changes nothing here.
    await intakes.act_as(MatchDeclined(**decision(draft, first), reason="client_declined",
                                       decided_by="client"), case_id)

    # A second proposal expires: back to waiting, the place in the queue kept.
    second = uuid.uuid4()
    await intakes.act_as(proposal(draft, second), case_id)
    await intakes.status_becomes(member, case_id, "proposed")
    await intakes.act_as(MatchExpired(**decision(draft, second)), case_id)
    case = await intakes.status_becomes(member, case_id, "submitted")
    assert case["submitted_at"] == waiting_since
    assert [p["outcome"] for p in case["proposals"]] == ["client_declined", "expired"]

    # The third is accepted and the tenancy starts.
    third = uuid.uuid4()
    await intakes.act_as(proposal(draft, third), case_id)
    await intakes.status_becomes(member, case_id, "proposed")
    await intakes.act_as(TenancyStarted(
        match_id=third, home_id=uuid.uuid4(), client_ref=draft["client_ref"], member_id=member,
        corporation_id="c-test", municipality="Utrecht", contingent_year=2001,
        signed_on=date(2041, 6, 1), start_date=date(2041, 7, 1),
        contract=Contract(type="own_name"), intake_submitted_at=NOW), case_id)
    case = await intakes.status_becomes(member, case_id, "housed")
    assert case["tenancy_start"] == "2041-07-01"

    # Housed: matching fields are settled, personal data can still be corrected.
    r = await http.patch(f"{url}/intakes/{case_id}", headers=caseworker,
                         json={"monthly_income": "1600.00"})
    assert r.status_code == 409, r.text
    r = await http.patch(f"{url}/intakes/{case_id}", headers=caseworker,
                         json={"client": {"address": "Nieuwe Woning 1, Utrecht"}})
    assert r.status_code == 200 and r.json()["changed_matching_fields"] == []
    r = await http.post(f"{url}/intakes/{case_id}/withdraw", headers=caseworker,
                        json={"reason": "client_request"})
    assert r.status_code == 409 and "housed" in r.json()["detail"]

    # A year of aftercare ends: the case closes and the retention period starts.
    await intakes.act_as(AftercareCompleted(
        trajectory_id=uuid.uuid4(), client_ref=draft["client_ref"], member_id=member,
        outcome="stable", tenancy_start=date(2041, 7, 1), completed_on=date(2042, 7, 1)),
        case_id)
    case = await intakes.status_becomes(member, case_id, "closed")
    assert case["ended_at"] is not None
    assert [(h["from_status"], h["to_status"]) for h in case["history"]] == [
        ("draft", "submitted"), ("submitted", "proposed"), ("proposed", "submitted"),
        ("submitted", "proposed"), ("proposed", "submitted"), ("submitted", "proposed"),
        ("proposed", "housed"), ("housed", "closed")]

    # What the intake told the others, in order, keyed by the case.
    events = await intakes.events_of(case_id, count=4)
    assert [e["type"] for e in events] == [
        "IntakeSubmitted", "IntakeUpdated", "ClientResponded", "ClientResponded"]
    submitted, updated, accepted, declined = (e["data"] for e in events)
    assert submitted["client_ref"] == draft["client_ref"] and submitted["member_id"] == member
    assert submitted["profile"]["monthly_income"] == "1400.00"
    assert submitted["profile"]["preferred_municipalities"] == ["Utrecht", "Zeist"]
    assert updated["changed"] == ["monthly_income"]
    assert updated["profile"]["monthly_income"] == "1500.00"
    assert (accepted["response"], accepted["match_id"]) == ("accept", str(first))
    assert (declined["response"], declined["reason"]) == ("decline", "location")
    assert "buurt" not in str(declined)

    # The case is closed, so the same client may come back with a new intake.
    r = await http.post(f"{url}/intakes", headers=caseworker, json={
        **intake_body(), "client": (await intakes.get(member, case_id))["client"]})
    assert r.status_code == 201, r.text


async def test_withdrawing_a_proposed_case_releases_it_at_matching(intakes: Intakes) -> None:
    member = new_member()
    caseworker = token("caseworker", member)
    intake = await intakes.open(member)
    case_id = intake["case_id"]
    match_id = uuid.uuid4()
    await intakes.act_as(proposal(intake, match_id), case_id)
    await intakes.status_becomes(member, case_id, "proposed")

    r = await intakes.http.post(f"{intakes.url}/intakes/{case_id}/withdraw",
                                headers=caseworker, json={"reason": "housed_elsewhere"})
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["status"] == "withdrawn" and case["withdrawal_reason"] == "housed_elsewhere"
    assert case["proposals"][-1]["outcome"] == "intake_withdrawn"
    # Matching's cancellation of the proposal, caused by this withdrawal, changes nothing.
    await intakes.act_as(MatchCancelled(**decision(intake, match_id),
                                        cause="intake_withdrawn"), case_id)

    events = await intakes.events_of(case_id, count=2)
    assert [e["type"] for e in events] == ["IntakeSubmitted", "IntakeWithdrawn"]
    assert events[1]["data"]["reason"] == "housed_elsewhere"
    assert (await intakes.get(member, case_id))["status"] == "withdrawn"


async def test_a_tenancy_that_overtook_the_withdrawal_is_recorded_not_dead_lettered(
    intakes: Intakes,
) -> None:
    """The caseworker withdraws while the corporation, not yet told, records the signed lease:
    the tenancy is a fact, so the case becomes housed (it used to be dead-lettered)."""
    member = new_member()
    caseworker = token("caseworker", member)
    intake = await intakes.open(member)
    case_id, match_id = intake["case_id"], uuid.uuid4()
    await intakes.act_as(proposal(intake, match_id), case_id)
    await intakes.status_becomes(member, case_id, "proposed")
    r = await intakes.http.post(f"{intakes.url}/intakes/{case_id}/withdraw",
                                headers=caseworker, json={"reason": "client_request"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn", r.text

    await intakes.act_as(TenancyStarted(
        match_id=match_id, home_id=uuid.uuid4(), client_ref=intake["client_ref"],
        member_id=member, corporation_id="c-test", municipality="Utrecht",
        contingent_year=2001, signed_on=date(2041, 6, 1), start_date=date(2041, 7, 1),
        contract=Contract(type="own_name"), intake_submitted_at=NOW), case_id)
    case = await intakes.status_becomes(member, case_id, "housed")
    assert case["tenancy_start"] == "2041-07-01"
    assert case["proposals"][-1]["outcome"] == "housed"


async def test_home_withdrawn_before_tenancy_sends_the_client_back_to_waiting(
    intakes: Intakes,
) -> None:
    member = new_member()
    intake = await intakes.open(member)
    match_id = uuid.uuid4()
    await intakes.act_as(proposal(intake, match_id), intake["case_id"])
    await intakes.status_becomes(member, intake["case_id"], "proposed")
    await intakes.act_as(MatchCancelled(**decision(intake, match_id), cause="home_withdrawn"),
                         intake["case_id"])
    case = await intakes.status_becomes(member, intake["case_id"], "submitted")
    assert case["proposals"][-1]["outcome"] == "home_withdrawn"


async def test_a_withdrawn_draft_never_reaches_kafka(intakes: Intakes) -> None:
    member = new_member()
    draft = await intakes.open(member, intake_body(submit=False))
    r = await intakes.http.post(f"{intakes.url}/intakes/{draft['case_id']}/withdraw",
                                headers=token("caseworker", member),
                                json={"reason": "client_request"})
    assert r.status_code == 200, r.text
    # The relay publishes in commit order: once a later case's event is on Kafka, anything
    # the draft had put in the outbox would be there too.
    later = await intakes.open(member)
    await intakes.events_of(later["case_id"], count=1)
    found = await find_records(
        intakes.bootstrap, events_topic("intake"),
        lambda rec: envelope_of(rec).get("case_id") == draft["case_id"], seconds=3)
    assert found == []
