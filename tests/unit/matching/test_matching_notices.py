"""The e-mails' content: references only, the deadline in Dutch time, and the reminder a
working day before the deadline."""

from __future__ import annotations

import uuid
from typing import Any

from matching_builders import POLICY, ams, make_candidate, make_home
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.application import notify
from services.matching.application.rules import MatchingRules
from services.matching.application.unit import Unit
from services.matching.domain.decline_reasons import DeclineReason
from services.matching.domain.match import Match, propose

PROPOSED_AT = ams(2026, 3, 2, 10)  # Monday; the deadline is Monday 9 March 10:00


class FakeMailbox:
    def __init__(self) -> None:
        self.queued: list[dict[str, Any]] = []
        self.cancelled: list[tuple[uuid.UUID, str]] = []

    async def queue(self, session: AsyncSession, **message: Any) -> None:
        self.queued.append(message)

    async def cancel_pending(self, session: AsyncSession, match_id: uuid.UUID,
                             kind: str) -> None:
        self.cancelled.append((match_id, kind))


def a_match() -> Match:
    candidate = make_candidate(case_id=str(uuid.uuid4()), client_ref="ref_secret_77")
    home = make_home(home_id=str(uuid.uuid4()))
    return propose(str(uuid.uuid4()), home, candidate, PROPOSED_AT)


def unit_at(mailbox: FakeMailbox) -> Unit:
    return Unit(AsyncSession(), None, MatchingRules(POLICY), PROPOSED_AT,  # type: ignore[arg-type]
                mailbox, None)  # type: ignore[arg-type]


async def test_the_corporation_hears_of_the_proposal_and_is_reminded_a_working_day_before() -> None:
    mailbox, match = FakeMailbox(), a_match()
    await notify.proposal_arrived(unit_at(mailbox), match.proposal, match.home)
    arrived, reminder = mailbox.queued
    assert arrived["role"] == "corporation" and arrived["org"] == "corp-1"
    assert arrived["due_at"] == PROPOSED_AT
    assert match.proposal.match_id in arrived["subject"]
    assert "Monday 09 March 2026 10:00" in arrived["body"]
    assert reminder["kind"] == notify.REMINDER
    assert reminder["due_at"] == ams(2026, 3, 6, 10)  # the Friday before
    for message in (arrived, reminder):
        assert "ref_secret_77" not in message["subject"] + message["body"]
        assert match.proposal.case_id not in message["body"]


async def test_the_caseworker_hears_of_a_decline_by_code_and_case_but_never_the_note() -> None:
    mailbox, match = FakeMailbox(), a_match()
    declined = match.decline(DeclineReason.OTHER, ams(2026, 3, 3), note="private words").proposal
    await notify.proposal_decided(unit_at(mailbox), declined)
    [message] = mailbox.queued
    assert message["role"] == "caseworker" and message["org"] == "m01"
    assert declined.case_id in message["body"] and "reason: other" in message["body"]
    assert "private words" not in message["body"] + message["subject"]
    assert "ref_secret_77" not in message["body"]
    assert mailbox.cancelled == [(uuid.UUID(declined.match_id), notify.REMINDER)]
