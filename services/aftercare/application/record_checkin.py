"""Record a check-in (nazorgcontact) of the ambulant supporter with the tenant.

Rules: only the supporting organisation records check-ins on its trajectories; a check-in
lies between the tenancy start and today; a completed trajectory takes none; the check-in
fulfils the due check-in whose window holds its date (docs/aftercare-rules.md). Scores,
agreed actions and private notes stay in this service; the event says only that a contact
took place, when, and how the supporter judged it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from services.aftercare.application._access import load_for_member
from services.aftercare.application.ports import AftercareUnitOfWork
from services.aftercare.domain.checkin import CheckIn, CheckInStatus, LifeDomain
from services.aftercare.domain.events import CheckInRecorded


async def record_checkin(
    uow: AftercareUnitOfWork, *, trajectory_id: str, member_id: str, supporter: str,
    held_on: date, status: CheckInStatus, scores: Mapping[LifeDomain, int],
    agreed_actions: Sequence[str], private_notes: str, now: datetime, today: date,
) -> CheckInRecorded:
    trajectory = await load_for_member(uow, trajectory_id, member_id, lock=True)
    recorded = trajectory.record_checkin(
        CheckIn(
            checkin_id=str(uuid.uuid4()), held_on=held_on, status=status, scores=scores,
            agreed_actions=tuple(agreed_actions), private_notes=private_notes,
        ),
        today,
    )
    await uow.trajectories.save(trajectory, by=supporter, at=now)
    await uow.publish(trajectory, now=now)
    return recorded
