"""Withdrawals: "a withdrawn intake or a home withdrawn before tenancy releases what it held".

- The corporation withdraws its home (POST /homes/{id}/withdraw) while it is not let: an
  open proposal — also an accepted one — is cancelled (MatchCancelled, cause
  `home_withdrawn`) and its client waits again; HomeWithdrawn tells the contingent to release
  the home. A let home cannot be withdrawn (409).
- The caseworker withdraws the intake (IntakeWithdrawn): the candidate leaves the pool; an
  open proposal is cancelled (cause `intake_withdrawn`) and the home goes on to the next
  candidate at once. A cancellation is not a decline: it never counts against the client.
"""

from __future__ import annotations

import logging
import uuid

import sqlalchemy as sa

from services.matching.adapters.db.repository import (
    candidate_from_row,
    get_match,
    home_from_row,
    lock_candidate,
    lock_home,
    open_match_of,
    proposal_from_row,
    proposal_values,
)
from services.matching.adapters.db.tables import candidates, homes, matches
from services.matching.application import notify
from services.matching.application.decide_match import decision_fields, move_on
from services.matching.application.errors import NotFound
from services.matching.application.unit import Unit
from services.matching.domain.candidate import CandidateStatus
from services.matching.domain.match import Match
from services.matching.domain.withdrawal import withdraw_home as domain_withdraw_home
from services.matching.domain.withdrawal import withdraw_intake as domain_withdraw_intake
from shared.events.matching import HomeWithdrawn, MatchCancelled

log = logging.getLogger(__name__)


async def withdraw_home(unit: Unit, home_id: uuid.UUID, corporation: str) -> None:
    await unit.hold_pool()
    row = await lock_home(unit.session, home_id)
    if row is None or row.corporation_id != corporation:
        raise NotFound("home")
    open_match: Match | None = None
    open_row = await open_match_of(unit.session, home_id=home_id)
    if open_row is not None:
        candidate_row = await lock_candidate(unit.session, open_row.case_id)
        open_row = await get_match(unit.session, open_row.match_id, lock=True)
        assert candidate_row is not None and open_row is not None
        open_match = Match(proposal_from_row(open_row, candidate_row.client_ref),
                           home_from_row(row), candidate_from_row(candidate_row))
    result = domain_withdraw_home(home_from_row(row), unit.now, open_match)  # 409 when let
    await unit.session.execute(sa.update(homes).where(homes.c.home_id == home_id).values(
        status="withdrawn", withdrawn_at=unit.now))
    await unit.outbox.add(unit.session, HomeWithdrawn(
        home_id=home_id, corporation_id=row.corporation_id,
        contingent_year=row.contingent_year,
    ), case_id=home_id, occurred_at=unit.now)
    cancelled, released = result.cancelled_proposal, result.released_candidate
    if cancelled is None or released is None:
        return
    await unit.session.execute(sa.update(matches).where(
        matches.c.match_id == uuid.UUID(cancelled.match_id)).values(**proposal_values(cancelled)))
    await unit.session.execute(sa.update(candidates).where(
        candidates.c.case_id == uuid.UUID(released.case_id)).values(status=released.status.value))
    await unit.outbox.add(unit.session, MatchCancelled(
        **decision_fields(cancelled), cause="home_withdrawn",
    ), case_id=uuid.UUID(cancelled.case_id), occurred_at=unit.now)
    await notify.proposal_decided(unit, cancelled)
    await move_on(unit, Match(cancelled, result.home, released))


async def withdraw_intake(unit: Unit, case_id: uuid.UUID) -> str:
    """Returns what happened (for the log): unknown, already_closed, withdrawn, cancelled."""
    await unit.hold_pool()
    for _ in range(3):
        seen = await open_match_of(unit.session, case_id=case_id)
        home_row = await lock_home(unit.session, seen.home_id) if seen else None
        candidate_row = await lock_candidate(unit.session, case_id)
        if candidate_row is None:
            return "unknown"
        open_row = await open_match_of(unit.session, case_id=case_id, lock=True)
        if (open_row and open_row.match_id) == (seen and seen.match_id):
            break
    else:  # the proposal changed under us three times: let the consumer retry
        raise RuntimeError("the client's open proposal kept changing; retrying")
    candidate = candidate_from_row(candidate_row)
    if candidate.status in (CandidateStatus.HOUSED, CandidateStatus.WITHDRAWN):
        return "already_closed"
    open_match = None
    if open_row is not None and home_row is not None:
        open_match = Match(proposal_from_row(open_row, candidate.client_ref),
                           home_from_row(home_row), candidate)
    result = domain_withdraw_intake(candidate, unit.now, open_match)
    await unit.session.execute(sa.update(candidates).where(candidates.c.case_id == case_id)
                               .values(status=result.candidate.status.value,
                                       withdrawn_at=result.candidate.withdrawn_at))
    cancelled, released = result.cancelled_proposal, result.released_home
    if cancelled is None or released is None:
        return "withdrawn"
    await unit.session.execute(sa.update(matches).where(
        matches.c.match_id == uuid.UUID(cancelled.match_id)).values(**proposal_values(cancelled)))
    await unit.session.execute(sa.update(homes).where(
        homes.c.home_id == uuid.UUID(released.home_id)).values(status="waiting"))
    await unit.outbox.add(unit.session, MatchCancelled(
        **decision_fields(cancelled), cause="intake_withdrawn",
    ), case_id=case_id, occurred_at=unit.now)
    await notify.proposal_withdrawn_by_client_side(unit, cancelled)
    await move_on(unit, Match(cancelled, released, result.candidate))
    return "cancelled"
