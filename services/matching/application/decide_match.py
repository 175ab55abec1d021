"""Decisions on a proposal: the corporation's accept or decline, the client's answer, expiry at
the deadline, and the tenancy that follows an acceptance.

Business rules (domain/proposal.py decides; this module loads, locks, stores, publishes):
- Only an open proposal can be decided, and only before its deadline: a decision on an
  expired or already decided proposal is a conflict (409).
- A decline carries a coded reason; `other` needs a note. The note stays in this database
  and never goes onto Kafka or into an e-mail.
- The client's "no" (recorded by the caseworker in intake, ClientResponded) declines the
  proposal with reason `client_declined`, decided by the client — also after the
  corporation accepted, until the tenancy starts.
- A proposal undecided at its deadline expires (MatchExpired).
- A declined or expired proposal sends the home straight on to the next candidate, never to
  the same client again, and the client is offered the waiting homes they are eligible for.
- A tenancy needs an accepted proposal; it may not start before the signing date (422); its
  contract is the home's (TenancyStarted).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa

from services.matching.adapters.db.repository import (
    Row,
    candidate_from_row,
    get_match,
    home_from_row,
    lock_candidate,
    lock_home,
    proposal_from_row,
    proposal_values,
)
from services.matching.adapters.db.tables import candidates, homes, matches
from services.matching.application import notify
from services.matching.application.errors import NotFound
from services.matching.application.mediate import offer_waiting_homes, request_allocation
from services.matching.application.unit import Unit
from services.matching.domain.candidate import CandidateStatus
from services.matching.domain.decline_reasons import DeclineReason
from services.matching.domain.errors import ConflictError
from services.matching.domain.home import HomeStatus
from services.matching.domain.match import Match
from services.matching.domain.proposal import ClientAnswer, MatchProposal, ProposalStatus
from shared.events.common import Contract as WireContract
from shared.events.intake import ClientResponded
from shared.events.matching import (
    MatchAccepted,
    MatchDeclined,
    MatchExpired,
    TenancyStarted,
)

log = logging.getLogger(__name__)

APP_HOME_STATUS = {HomeStatus.OFFERED: "waiting", HomeStatus.PROPOSED: "proposed",
                   HomeStatus.LET: "let", HomeStatus.WITHDRAWN: "withdrawn"}


@dataclass(frozen=True)
class Loaded:
    """A proposal with its home and client, locked in the order home → candidate → match."""

    match: Match
    home_row: Row
    candidate_row: Row


async def load_match(unit: Unit, match_id: uuid.UUID, *, skip_locked: bool = False
                     ) -> Loaded | None:
    row = await get_match(unit.session, match_id)
    if row is None:
        return None
    home_row = await lock_home(unit.session, row.home_id, skip_locked=skip_locked)
    if home_row is None:
        return None
    candidate_row = await lock_candidate(unit.session, row.case_id)
    row = await get_match(unit.session, match_id, lock=True)
    assert candidate_row is not None and row is not None
    match = Match(proposal_from_row(row, candidate_row.client_ref), home_from_row(home_row),
                  candidate_from_row(candidate_row))
    return Loaded(match, home_row, candidate_row)


async def store(unit: Unit, after: Match) -> None:
    """Write a transition's proposal, home and client (one transaction, rows already locked)."""
    p = after.proposal
    await unit.session.execute(sa.update(matches).where(matches.c.match_id == uuid.UUID(
        p.match_id)).values(**proposal_values(p)))
    await unit.session.execute(sa.update(homes).where(homes.c.home_id == uuid.UUID(p.home_id))
                               .values(status=APP_HOME_STATUS[after.home.status]))
    await unit.session.execute(
        sa.update(candidates).where(candidates.c.case_id == uuid.UUID(p.case_id))
        .values(status=after.candidate.status.value, withdrawn_at=after.candidate.withdrawn_at))


def decision_fields(p: MatchProposal) -> dict[str, object]:
    return dict(match_id=uuid.UUID(p.match_id), home_id=uuid.UUID(p.home_id),
                member_id=p.member_id, corporation_id=p.corporation_id,
                proposed_at=p.proposed_at)


async def move_on(unit: Unit, after: Match) -> None:
    """After a proposal ended without a tenancy: the home asks for its next candidate, the
    released client is offered the homes waiting for someone like them."""
    if after.home.status is HomeStatus.OFFERED:
        await request_allocation(unit, uuid.UUID(after.home.home_id))
    if after.candidate.status is CandidateStatus.WAITING:
        await offer_waiting_homes(unit, after.candidate)


def _observe_decision(unit: Unit, p: MatchProposal, reason: str, at: datetime) -> None:
    took = at - p.proposed_at
    unit.after_commit(lambda: unit.throughput.proposal_decided(
        corporation_id=p.corporation_id, reason=reason, took=took))


async def _corporations_match(unit: Unit, match_id: uuid.UUID, corporation: str) -> Loaded:
    loaded = await load_match(unit, match_id)
    if loaded is None or loaded.match.proposal.corporation_id != corporation:
        raise NotFound("proposal")
    return loaded


async def accept_match(unit: Unit, match_id: uuid.UUID, corporation: str) -> None:
    loaded = await _corporations_match(unit, match_id, corporation)
    after = loaded.match.accept(unit.now)
    await store(unit, after)
    await unit.outbox.add(unit.session, MatchAccepted(**decision_fields(after.proposal)),
                          case_id=uuid.UUID(after.proposal.case_id), occurred_at=unit.now)
    await notify.proposal_decided(unit, after.proposal)
    _observe_decision(unit, after.proposal, "accepted", unit.now)


async def _declined(unit: Unit, after: Match) -> None:
    p = after.proposal
    assert p.decline_reason is not None and p.declined_by is not None
    await store(unit, after)
    await unit.outbox.add(unit.session, MatchDeclined(
        **decision_fields(p), reason=p.decline_reason.value, decided_by=p.declined_by.value,
    ), case_id=uuid.UUID(p.case_id), occurred_at=unit.now)
    await notify.proposal_decided(unit, p)
    reason = p.decline_reason.value
    _observe_decision(unit, p, reason, unit.now)
    await move_on(unit, after)


async def decline_match(unit: Unit, match_id: uuid.UUID, corporation: str,
                        reason: DeclineReason, note: str | None) -> None:
    await unit.hold_pool()
    loaded = await _corporations_match(unit, match_id, corporation)
    await _declined(unit, loaded.match.decline(reason, unit.now, note))


_CLIENT_ANSWERS = {"accept": ClientAnswer.ACCEPTED, "decline": ClientAnswer.DECLINED}


async def record_client_response(unit: Unit, event: ClientResponded) -> str:
    """The client's answer as the caseworker recorded it in intake. Returns what happened;
    an answer that cannot apply (unknown proposal, another member's, closed) changes nothing."""
    try:
        match_id = uuid.UUID(event.match_id)
    except ValueError:
        return "unknown_match"
    await unit.hold_pool()
    loaded = await load_match(unit, match_id)
    if loaded is None or loaded.match.proposal.member_id != event.member_id:
        return "unknown_match"
    try:
        after = loaded.match.record_client_response(_CLIENT_ANSWERS[event.response], unit.now)
    except ConflictError as exc:
        log.info("client response not applied: %s", exc.code)
        return exc.code
    if after.proposal.status is ProposalStatus.DECLINED:
        await _declined(unit, after)
        await unit.session.execute(sa.update(matches).where(matches.c.match_id == match_id)
                                   .values(client_reason=event.reason))
        await notify.proposal_withdrawn_by_client_side(unit, after.proposal)
        return "declined"
    await store(unit, after)
    return "recorded"


async def expire_match(unit: Unit, match_id: uuid.UUID) -> bool:
    """Expire one proposal if it is still undecided at its deadline (the periodic job)."""
    await unit.hold_pool()
    loaded = await load_match(unit, match_id, skip_locked=True)
    if loaded is None:
        return False
    after = loaded.match.expire_if_due(unit.now)
    if after is loaded.match:
        return False
    await store(unit, after)
    await unit.outbox.add(unit.session, MatchExpired(**decision_fields(after.proposal)),
                          case_id=uuid.UUID(after.proposal.case_id), occurred_at=unit.now)
    await notify.proposal_decided(unit, after.proposal)
    _observe_decision(unit, after.proposal, "expired", unit.now)
    await move_on(unit, after)
    return True


async def due_for_expiry(unit: Unit, limit: int = 200) -> list[uuid.UUID]:
    rows = await unit.session.execute(_DUE_FOR_EXPIRY, {"now": unit.now, "limit": limit})
    return list(rows.scalars())


_DUE_FOR_EXPIRY = (  # built once (shared/db.py, "Statements built once"): it runs every tick
    sa.select(matches.c.match_id)
    .where(matches.c.status == "proposed",
           matches.c.deadline <= sa.bindparam("now", type_=matches.c.deadline.type))
    .order_by(matches.c.deadline).limit(sa.bindparam("limit", type_=sa.Integer)))


def _start_of(day: date, unit: Unit) -> datetime:
    return datetime.combine(day, time(0), tzinfo=unit.rules.calendar.zone)


async def start_tenancy(unit: Unit, match_id: uuid.UUID, corporation: str,
                        signed_on: date, start_date: date) -> None:
    loaded = await _corporations_match(unit, match_id, corporation)
    after = loaded.match.start_tenancy(signed_on, start_date, unit.now,
                                       future_signing_allowed=unit.rules.future_signing_allowed)
    await store(unit, after)
    p, home, candidate = after.proposal, after.home, after.candidate
    contract = home.contract
    await unit.outbox.add(unit.session, TenancyStarted(
        match_id=match_id, home_id=uuid.UUID(home.home_id), client_ref=candidate.client_ref,
        member_id=p.member_id, corporation_id=p.corporation_id,
        municipality=home.municipality, contingent_year=home.contingent_year,
        signed_on=signed_on, start_date=start_date,
        contract=WireContract(type=contract.kind.value,
                              omklap_after_months=contract.omklap_after_months,
                              term_months=contract.term_months),
        intake_submitted_at=candidate.submitted_at,
    ), case_id=uuid.UUID(p.case_id), occurred_at=unit.now)
    await notify.proposal_decided(unit, p)
    application_to_key = _start_of(start_date, unit) - candidate.submitted_at
    unit.after_commit(lambda: unit.throughput.tenancy_started(
        member_id=p.member_id, corporation_id=p.corporation_id,
        municipality=home.municipality, application_to_key=application_to_key))
