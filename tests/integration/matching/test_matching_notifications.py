"""E-mail: to the corporation when a proposal arrives, to the caseworker on every decision —
references only — through an e-mail outbox that loses nothing while SMTP is away."""

from __future__ import annotations

import pytest

from tests.integration.matching.support import Scenario, until
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra


async def test_corporation_hears_of_a_proposal_and_the_caseworker_of_each_decision(
    scenario: Scenario,
) -> None:
    s = scenario
    member, corporation = s.member(), s.corporation()
    await s.contingent({member: 5})
    first_client = await s.intake(member, urgency="urgent")
    await s.intake(member)
    home_id = await s.offer()
    first = await s.open_proposal(home_id)
    inbox = s.env.smtp.inbox

    [arrived] = await until(lambda: [m for m in inbox.to(s.mail_of(corporation))
                                     if first["match_id"] in m["Subject"]])
    assert "new proposal" in arrived["Subject"]
    assert arrived["From"] == "transferpunt@mail.test"

    r = await s.decide(first["match_id"], "decline", reason="other", note="NOTE-private-xyz")
    assert r.status_code == 200
    [declined] = await until(lambda: [m for m in inbox.to(s.mail_of(member))
                                      if first["match_id"] in m["Subject"]])
    body = declined.get_content()
    assert str(first_client.case_id) in body and "declined by the corporation" in body

    second = await s.next_proposal(home_id, after=first)
    assert (await s.decide(second["match_id"], "accept")).status_code == 200
    [accepted] = await until(lambda: [m for m in inbox.to(s.mail_of(member))
                                      if second["match_id"] in m["Subject"]])
    assert "accepted" in accepted.get_content()

    sent = [m for m in inbox.messages
            if first["match_id"] in m["Subject"] or second["match_id"] in m["Subject"]]
    for message in sent:
        text = message.as_string()
        assert first_client.client_ref not in text  # no pseudonym, let alone personal data
        assert "NOTE-private-xyz" not in text


async def test_an_email_queued_while_smtp_is_away_is_sent_once_it_is_back(
    scenario: Scenario,
) -> None:
    s = scenario
    member, corporation = s.member(), s.corporation()
    await s.contingent({member: 5})
    await s.intake(member)
    s.env.smtp.stop()
    try:
        home_id = await s.offer()
        proposal = await s.open_proposal(home_id)

        async def tried() -> bool:
            attempts = await s.sql_value(
                "SELECT attempts FROM matching.notifications WHERE match_id = :m "
                "AND kind = 'proposal_arrived'", m=proposal["match_id"])
            return bool(attempts)

        await eventually(tried)
    finally:
        s.env.smtp.start()
    await until(lambda: [m for m in s.env.smtp.inbox.to(s.mail_of(corporation))
                         if proposal["match_id"] in m["Subject"]], seconds=30)

