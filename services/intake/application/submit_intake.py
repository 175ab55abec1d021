"""Submit a draft intake to matching (draft → submitted).

Rules: only the own organisation's caseworker; only a draft (a case back from a proposal is
already waiting); the waiting time starts now and `IntakeSubmitted` is published in the same
transaction. The row is locked so this case's events keep their order.
"""

from __future__ import annotations

from services.intake.application.access import Actor, changeable_case
from services.intake.application.context import IntakeContext
from services.intake.application.integration_events import intake_submitted
from services.intake.application.ports import UnitOfWork
from services.intake.domain.intake import Intake


async def submit_intake(
    uow: UnitOfWork, ctx: IntakeContext, actor: Actor, case_id: str
) -> Intake:
    intake = changeable_case(actor, await uow.intakes.get(case_id, for_update=True))
    now = ctx.now()
    intake.submit(now)
    await uow.intakes.save(intake)
    await uow.publish(intake_submitted(intake), case_id=intake.case_id, occurred_at=now)
    return intake
