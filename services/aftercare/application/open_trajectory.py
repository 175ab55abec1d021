"""Open a year of ambulant aftercare (ambulante nazorg) when a tenancy starts.

Rules: one trajectory per case, however often TenancyStarted is delivered; the trajectory is
for the member organisation that supported the client into the home, and keeps the region's
policy of the day it opened. A new intake for the same client that was seen before this
tenancy arrived (the two come from different topics) still counts as a return.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.aftercare.application.contracts import contract_from_terms
from services.aftercare.application.detect_return import record_first_return
from services.aftercare.application.ports import AftercareUnitOfWork
from services.aftercare.domain.policy import AftercarePolicy
from services.aftercare.domain.trajectory import AftercareTrajectory
from shared.events.matching import TenancyStarted

SYSTEM = "aftercare"


async def open_trajectory(
    uow: AftercareUnitOfWork, tenancy: TenancyStarted, *, case_id: str,
    policy: AftercarePolicy, now: datetime,
) -> AftercareTrajectory | None:
    """The new trajectory, or None when this case already has one."""
    if await uow.trajectories.exists_for_case(case_id):
        return None
    trajectory = AftercareTrajectory.open(
        trajectory_id=str(uuid.uuid4()),
        case_id=case_id,
        client_ref=tenancy.client_ref,
        member_id=tenancy.member_id,
        corporation_id=tenancy.corporation_id,
        home_id=str(tenancy.home_id),
        tenancy_start=tenancy.start_date,
        contract=contract_from_terms(
            tenancy.contract.type, tenancy.contract.omklap_after_months
        ),
        policy=policy,
    )
    await uow.trajectories.add(trajectory, by=SYSTEM, at=now)
    await uow.publish(trajectory, now=now)
    seen = await uow.intakes.of_clients([tenancy.client_ref])
    await record_first_return(uow, trajectory, seen, now=now)
    return trajectory
