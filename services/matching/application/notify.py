"""The e-mails matching sends, composed here and queued in the same transaction as the change.

They carry references only — the proposal (match) id, the home's own municipality and
postcode area for the corporation, the case id for the caseworker — never a name, a
client reference, a decline note or any other detail about a person.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.matching.application.unit import Unit
from services.matching.domain.deadlines import reminder_due
from services.matching.domain.decline_reasons import DECLINE_REASON_DESCRIPTIONS
from services.matching.domain.home import Home
from services.matching.domain.proposal import MatchProposal, ProposalStatus

REMINDER = "decision_reminder"


def _local(unit: Unit, moment: datetime) -> str:
    return moment.astimezone(unit.rules.calendar.zone).strftime("%A %d %B %Y %H:%M")


async def proposal_arrived(unit: Unit, proposal: MatchProposal, home: Home) -> None:
    """To the corporation: a proposal for its home, and a reminder a working day before the
    deadline (skipped when that moment would not lie after the proposal)."""
    match_id = uuid.UUID(proposal.match_id)
    deadline = _local(unit, proposal.deadline)
    where = f"{home.municipality} ({home.postcode4})"
    await unit.mailbox.queue(
        unit.session, kind="proposal_arrived", role="corporation", org=home.corporation_id,
        match_id=match_id, due_at=unit.now,
        subject=f"Transferpunt: new proposal {match_id} for your home in {where}",
        body=(f"A client has been proposed for your home in {where}.\n"
              f"Proposal reference: {match_id}\nHome reference: {home.home_id}\n"
              f"Please accept or decline before {deadline}.\n"
              f"The warm handover is available at GET /matches/{match_id}/handover.\n"),
    )
    remind_at = reminder_due(proposal.deadline, unit.rules.calendar)
    if remind_at > proposal.proposed_at:
        await unit.mailbox.queue(
            unit.session, kind=REMINDER, role="corporation", org=home.corporation_id,
            match_id=match_id, due_at=remind_at,
            subject=f"Transferpunt: reminder — proposal {match_id} needs your decision",
            body=(f"Proposal {match_id} for your home in {where} still needs your decision.\n"
                  f"The deadline is {deadline}; after it the home goes to the next "
                  "candidate.\n"),
        )


def _outcome(proposal: MatchProposal) -> str:
    if proposal.status is ProposalStatus.ACCEPTED:
        return "was accepted by the corporation"
    if proposal.status is ProposalStatus.DECLINED:
        by = "the client" if proposal.declined_by and proposal.declined_by.value == "client" \
            else "the corporation"
        reason = proposal.decline_reason
        described = DECLINE_REASON_DESCRIPTIONS[reason] if reason else ""
        return f"was declined by {by} (reason: {reason.value if reason else '-'}; {described})"
    if proposal.status is ProposalStatus.EXPIRED:
        return "expired: the corporation did not decide before the deadline"
    if proposal.status is ProposalStatus.CANCELLED:
        return "was cancelled because the home was withdrawn by the corporation"
    return "led to a tenancy: the tenancy start has been recorded"


async def proposal_decided(unit: Unit, proposal: MatchProposal) -> None:
    """To the caseworker (the member organisation): every decision on the client's proposal.
    A pending reminder to the corporation is dropped once the proposal is decided."""
    match_id = uuid.UUID(proposal.match_id)
    if proposal.status is not ProposalStatus.TENANCY_STARTED:
        await unit.mailbox.cancel_pending(unit.session, match_id, REMINDER)
    await unit.mailbox.queue(
        unit.session, kind=f"proposal_{proposal.status.value}", role="caseworker",
        org=proposal.member_id, match_id=match_id, due_at=unit.now,
        subject=f"Transferpunt: proposal {match_id} for case {proposal.case_id}",
        body=(f"The proposal {match_id} for case {proposal.case_id} {_outcome(proposal)}.\n"
              "Details are in Transferpunt.\n"),
    )


async def proposal_withdrawn_by_client_side(unit: Unit, proposal: MatchProposal) -> None:
    """To the corporation: the proposal left its inbox because of the client's side (the
    client declined, or the intake was withdrawn)."""
    match_id = uuid.UUID(proposal.match_id)
    await unit.mailbox.cancel_pending(unit.session, match_id, REMINDER)
    why = "the client declined the home" if proposal.status is ProposalStatus.DECLINED \
        else "the client's intake was withdrawn"
    await unit.mailbox.queue(
        unit.session, kind=f"proposal_{proposal.status.value}", role="corporation",
        org=proposal.corporation_id, match_id=match_id, due_at=unit.now,
        subject=f"Transferpunt: proposal {match_id} ended",
        body=(f"The proposal {match_id} ended: {why}. No decision is needed any more; the "
              "home goes to the next candidate.\n"),
    )
