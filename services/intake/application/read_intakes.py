"""Read the client file, and list cases.

Rules: a caseworker reads their own organisation's cases with the personal data, and every
such read is written to the access log — who, from which organisation, when, which case and
why — in the same transaction, so no personal data is shown without its log entry. The
coordinator reads every case without the personal data (nothing to log). Lists never carry
personal data: the caseworker opens the case to see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from services.intake.application.access import (
    Actor,
    ensure_reader,
    sees_personal_data,
    visible_case,
)
from services.intake.application.ports import AccessEntry, CaseFilter, UnitOfWork
from services.intake.domain.errors import FieldError, IntakeInvalid
from services.intake.domain.intake import Intake

DEFAULT_REASON = "case work"
REASON_MAX = 200


@dataclass(frozen=True)
class CaseFile:
    intake: Intake
    with_personal_data: bool
    client_number: str | None = None


def _checked_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if reason is not None and not text:
        raise IntakeInvalid([FieldError("reason", "say why you open this client's file")])
    if len(text) > REASON_MAX:
        raise IntakeInvalid([FieldError("reason", f"is longer than {REASON_MAX} characters")])
    return text or DEFAULT_REASON


async def read_case_file(
    uow: UnitOfWork, actor: Actor, case_id: str, reason: str | None = None
) -> CaseFile:
    why = _checked_reason(reason)
    intake = visible_case(actor, await uow.intakes.get(case_id))
    if not sees_personal_data(actor, intake):
        return CaseFile(intake, with_personal_data=False)
    await uow.access_log.record(AccessEntry(
        reader=actor.sub, role=actor.role, org=actor.org, case_id=intake.case_id,
        member_id=intake.member_id, reason=why, read_at=datetime.now(UTC),
    ))
    number = await uow.intakes.client_number(intake.case_id)
    return CaseFile(intake, with_personal_data=True, client_number=number)


async def list_cases(uow: UnitOfWork, actor: Actor, which: CaseFilter) -> Sequence[Intake]:
    ensure_reader(actor)
    if actor.role == "caseworker":
        which = replace(which, member_id=actor.org)
    return await uow.intakes.list(which)
