"""Change an intake (PATCH): the caseworker corrects or completes the client file.

Rules: only the own organisation's caseworker; the whole new version is validated as on
creation and every problem reported at once, and then nothing changes; after housing only
what matching does not use may change, after closing or withdrawal nothing. When matching
already knows the case (submitted or proposed) and a matching field changed, `IntakeUpdated`
names exactly the changed fields and carries the whole new profile. A change of personal data
alone tells matching nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from services.intake.application.access import Actor, changeable_case
from services.intake.application.context import IntakeContext
from services.intake.application.integration_events import (
    contract_problems,
    intake_updated,
    profile_document,
)
from services.intake.application.ports import UnitOfWork
from services.intake.domain.details import IntakeDetails
from services.intake.domain.errors import FieldError, IntakeInvalid
from services.intake.domain.intake import Intake


@dataclass(frozen=True)
class Updated:
    intake: Intake
    changed: list[str]  # the matching fields announced to matching (wire names)


async def update_intake(
    uow: UnitOfWork, ctx: IntakeContext, actor: Actor, case_id: str,
    change: Callable[[IntakeDetails], tuple[IntakeDetails, Sequence[FieldError]]],
) -> Updated:
    """`change` turns the current details into the new ones, with any problems the form
    itself found (they are reported together with the domain's)."""
    intake = changeable_case(actor, await uow.intakes.get(case_id, for_update=True))
    details, input_errors = change(intake.details)
    extra = [*input_errors, *contract_problems(details)]
    now = ctx.now()
    before = profile_document(intake.matching_view())
    was_published = intake.is_published
    try:
        changes = intake.update(details, ctx.rules, now)
    except IntakeInvalid as invalid:
        raise IntakeInvalid([*invalid.errors, *extra]) from None
    if extra:
        raise IntakeInvalid(extra)
    await uow.intakes.save(intake)
    event = intake_updated(intake, before) if changes and was_published else None
    if event is not None:
        await uow.publish(event, case_id=intake.case_id, occurred_at=now)
    return Updated(intake, event.changed if event else [])
