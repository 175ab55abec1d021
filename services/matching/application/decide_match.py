"""The corporation's decision on a proposal, and the tenancy that follows an acceptance.

Rules: only an open proposal can be decided (a decision on an expired or decided one is a
409); a declined or expired proposal returns the client to the waiting list and sends the
home straight on to the next candidate; the tenancy start may not precede the signing date.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.adapters.db.tables import candidates, homes, matches
from services.matching.application.mediate import request_allocation
from shared.events import Event
from shared.events.common import Contract
from shared.events.matching import (
    MatchAccepted,
    MatchCancelled,
    MatchDeclined,
    MatchExpired,
    TenancyStarted,
)
from shared.outbox import Outbox
from shared.web import Problem


async def _open_match(session: AsyncSession, match_id: uuid.UUID, corporation: str | None) -> Any:
    match = (await session.execute(
        sa.select(matches).where(matches.c.match_id == match_id).with_for_update()
    )).one_or_none()
    if match is None or (corporation is not None and match.corporation_id != corporation):
        raise Problem(404, "no such proposal")
    return match


def _decision_fields(match: Any) -> dict[str, Any]:
    return dict(match_id=match.match_id, home_id=match.home_id, member_id=match.member_id,
                corporation_id=match.corporation_id, proposed_at=match.proposed_at)


async def accept_match(
    session: AsyncSession, outbox: Outbox, now: datetime, match_id: uuid.UUID, corporation: str
) -> None:
    match = await _open_match(session, match_id, corporation)
    if match.status != "proposed":
        raise Problem(409, f"this proposal is {match.status} and can no longer be accepted")
    await session.execute(sa.update(matches).where(matches.c.match_id == match_id)
                          .values(status="accepted", decided_at=now))
    await outbox.add(session, MatchAccepted(**_decision_fields(match)),
                     case_id=match.case_id, occurred_at=now)


async def end_proposal(
    session: AsyncSession, outbox: Outbox, now: datetime, match: Any, *, status: str,
    reason: Any = None, note: str | None = None, decided_by: Any = "corporation",
    cause: Any = None,
) -> None:
    """Close an open proposal without a tenancy; the client waits again, the home moves on."""
    await session.execute(sa.update(matches).where(matches.c.match_id == match.match_id)
                          .values(status=status, decided_at=now, decline_reason=reason,
                                  decline_note=note))
    await session.execute(sa.update(candidates)
                          .where(candidates.c.case_id == match.case_id,
                                 candidates.c.status == "proposed")
                          .values(status="waiting"))
    fields = _decision_fields(match)
    event: Event
    if status == "expired":
        event = MatchExpired(**fields)
    elif status == "cancelled":
        event = MatchCancelled(**fields, cause=cause or "intake_withdrawn")
    else:
        event = MatchDeclined(**fields, reason=reason, decided_by=decided_by)
    await outbox.add(session, event, case_id=match.case_id, occurred_at=now)
    await request_allocation(session, outbox, match.home_id)


async def decline_match(
    session: AsyncSession, outbox: Outbox, now: datetime, match_id: uuid.UUID, corporation: str,
    reason: str, note: str | None,
) -> None:
    match = await _open_match(session, match_id, corporation)
    if match.status != "proposed":
        raise Problem(409, f"this proposal is {match.status} and can no longer be declined")
    await end_proposal(session, outbox, now, match, status="declined", reason=reason, note=note)


async def expire_due_matches(session: AsyncSession, outbox: Outbox, now: datetime) -> int:
    due = (await session.execute(
        sa.select(matches).where(matches.c.status == "proposed", matches.c.deadline <= now)
        .with_for_update(skip_locked=True)
    )).all()
    for match in due:
        await end_proposal(session, outbox, now, match, status="expired")
    return len(due)


async def start_tenancy(
    session: AsyncSession, outbox: Outbox, now: datetime, match_id: uuid.UUID, corporation: str,
    signed_on: date, start_date: date,
) -> None:
    match = await _open_match(session, match_id, corporation)
    if match.status != "accepted":
        raise Problem(409, f"a tenancy needs an accepted proposal; this one is {match.status}")
    if start_date < signed_on:
        raise Problem(422, "the tenancy cannot start before the contract is signed", "start_date")
    home = (await session.execute(
        sa.select(homes).where(homes.c.home_id == match.home_id).with_for_update()
    )).one()
    candidate = (await session.execute(
        sa.select(candidates).where(candidates.c.case_id == match.case_id).with_for_update()
    )).one()
    tenancy = {"signed_on": signed_on.isoformat(), "start_date": start_date.isoformat()}
    await session.execute(sa.update(matches).where(matches.c.match_id == match_id)
                          .values(status="tenancy_started", tenancy=tenancy))
    await session.execute(sa.update(homes).where(homes.c.home_id == home.home_id)
                          .values(status="let"))
    await session.execute(sa.update(candidates).where(candidates.c.case_id == match.case_id)
                          .values(status="housed"))
    await outbox.add(session, TenancyStarted(
        match_id=match_id, home_id=home.home_id, client_ref=candidate.client_ref,
        member_id=match.member_id, corporation_id=match.corporation_id,
        municipality=home.offer["municipality"], contingent_year=home.contingent_year,
        signed_on=signed_on, start_date=start_date,
        contract=Contract.model_validate(home.offer["contract"]),
        intake_submitted_at=candidate.submitted_at,
    ), case_id=match.case_id, occurred_at=now)
