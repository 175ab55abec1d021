"""Waiting candidates, as the intake service announces them (pseudonymous).

- IntakeSubmitted: the client joins the pool (waiting since the intake's business time) and
  is checked against the homes waiting for someone. A replayed submission changes nothing.
- IntakeUpdated: the new profile replaces the old while the client is waiting or proposed
  (an open proposal stands; the corporation judges it on the handover). A waiting client is
  checked against the waiting homes again.
A profile the domain refuses (e.g. a municipality both preferred and excluded) raises, so the
shared consumer dead-letters the event with the reason instead of guessing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from services.matching.adapters.db.repository import add_candidate, candidate_from
from services.matching.adapters.db.tables import candidates
from services.matching.application.mediate import ask_for_homes_admitting, offer_waiting_homes
from services.matching.application.unit import Unit
from shared.events.intake import IntakeSubmitted, IntakeUpdated


async def register_candidate(unit: Unit, case_id: uuid.UUID, event: IntakeSubmitted,
                             submitted_at: datetime) -> bool:
    profile = event.profile.model_dump(mode="json")
    candidate = candidate_from(case_id, event.client_ref, event.member_id, profile,
                               submitted_at)
    await unit.hold_pool()
    homes = await add_candidate(unit.session, candidate, profile,
                                unit.rules.eligibility.readiness_grace_days)
    if homes is None:
        return False
    await ask_for_homes_admitting(unit, candidate, homes)
    return True


async def update_candidate(unit: Unit, case_id: uuid.UUID, event: IntakeUpdated) -> bool:
    profile = event.profile.model_dump(mode="json")
    await unit.hold_pool()
    row = (await unit.session.execute(
        sa.update(candidates)
        .where(candidates.c.case_id == case_id,
               candidates.c.status.in_(["waiting", "proposed"]))
        .values(profile=profile, client_ref=event.client_ref, member_id=event.member_id)
        .returning(candidates)
    )).one_or_none()
    if row is None:
        return False
    candidate = candidate_from(case_id, row.client_ref, row.member_id, profile,
                               row.submitted_at, row.status)
    if row.status == "waiting":
        await offer_waiting_homes(unit, candidate)
    return True
