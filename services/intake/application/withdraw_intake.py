"""Withdraw an intake (ingetrokken) before the client is housed.

Rules: only the own organisation's caseworker; from draft, submitted or proposed; a proposal
still open ends as `intake_withdrawn`; the retention period starts. Matching hears of it
(`IntakeWithdrawn`, releasing what the case held) only when it knew the case: a draft was
never published, so nothing is sent for it.
"""

from __future__ import annotations

from services.intake.application.access import Actor, changeable_case
from services.intake.application.context import IntakeContext
from services.intake.application.integration_events import intake_withdrawn
from services.intake.application.ports import UnitOfWork
from services.intake.domain.intake import Intake, WithdrawalReason


async def withdraw_intake(
    uow: UnitOfWork, ctx: IntakeContext, actor: Actor, case_id: str, reason: WithdrawalReason
) -> Intake:
    intake = changeable_case(actor, await uow.intakes.get(case_id, for_update=True))
    now = ctx.now()
    known_to_matching = intake.is_published
    intake.withdraw(reason, now)
    await uow.intakes.save(intake)
    if known_to_matching:
        await uow.publish(intake_withdrawn(intake), case_id=intake.case_id, occurred_at=now)
    return intake
