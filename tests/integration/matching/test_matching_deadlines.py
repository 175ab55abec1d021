"""Decision deadlines in business time: the reminder a working day before, expiry at the
deadline, and the home moving on to the next candidate at once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from services.matching.domain.deadlines import decision_deadline, reminder_due
from tests.integration.matching.support import Scenario, until

pytestmark = pytest.mark.infra


async def test_undecided_proposal_expires_at_its_deadline_and_the_next_candidate_follows(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    first_client = await s.intake(member, urgency="urgent")
    second_client = await s.intake(member)
    home_id = await s.offer()
    first = await s.open_proposal(home_id)
    assert first["case_id"] == str(first_client.case_id)
    deadline = datetime.fromisoformat(first["deadline"])
    assert deadline == decision_deadline(datetime.fromisoformat(first["proposed_at"]))

    await s.move_clock_to(deadline - timedelta(minutes=1))
    await s.decide(first["match_id"], "accept", corporation=s.corporation(9))  # noise
    assert (await s.matches_of_home(home_id))[0]["status"] == "proposed"

    await s.move_clock_to(deadline)
    second = await s.next_proposal(home_id, after=first)
    assert second["case_id"] == str(second_client.case_id)
    [expired] = await s.matching_events(
        lambda e: e.get("type") == "MatchExpired" and e["data"]["match_id"] == first["match_id"])
    assert expired["case_id"] == str(first_client.case_id)
    assert await s.candidate_status(first_client) == "waiting"

    r = await s.decide(first["match_id"], "accept")
    assert r.status_code == 409 and "expired" in r.text, r.text
    r = await s.decide(first["match_id"], "decline", reason="home_unsuitable")
    assert r.status_code == 409, r.text


async def test_corporation_is_reminded_a_working_day_before_the_deadline(
    scenario: Scenario,
) -> None:
    s = scenario
    member, corporation = s.member(), s.corporation()
    await s.contingent({member: 5})
    await s.intake(member)
    home_id = await s.offer()
    proposal = await s.open_proposal(home_id)
    deadline = datetime.fromisoformat(proposal["deadline"])
    remind_at = reminder_due(deadline)
    inbox = s.env.smtp.inbox

    def reminders() -> list[object]:
        return [m for m in inbox.to(s.mail_of(corporation))
                if "reminder" in m["Subject"] and proposal["match_id"] in m["Subject"]]

    await s.move_clock_to(remind_at - timedelta(minutes=5))
    await until(lambda: inbox.to(s.mail_of(corporation)))  # the arrival mail
    await asyncio.sleep(2)
    assert reminders() == []
    await s.move_clock_to(remind_at)
    await until(reminders)


async def test_a_decided_proposal_sends_no_reminder(scenario: Scenario) -> None:
    s = scenario
    member, corporation = s.member(), s.corporation()
    await s.contingent({member: 5})
    await s.intake(member)
    home_id = await s.offer()
    proposal = await s.open_proposal(home_id)
    mail = s.env.smtp.inbox
    await until(lambda: mail.to(s.mail_of(corporation)))  # e-mail works: the arrival came
    r = await s.decide(proposal["match_id"], "accept")
    assert r.status_code == 200
    await s.move_clock_to(reminder_due(datetime.fromisoformat(proposal["deadline"])))
    await asyncio.sleep(2)
    assert not [m for m in mail.to(s.mail_of(corporation)) if "reminder" in m["Subject"]]

