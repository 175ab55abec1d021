"""Record the client's answer to a proposed home (`POST /intakes/{id}/client-response`).

Rules: only the own organisation's caseworker, only while a home is proposed, only for the
current proposal. The client keeps the last word: a "no" is accepted even after a "yes", and
sends the client back to waiting with their original waiting time. A "no" needs a reason; the
caseworker's note stays inside intake. `ClientResponded` tells matching.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.application.access import Actor, changeable_case
from services.intake.application.context import IntakeContext
from services.intake.application.integration_events import client_responded
from services.intake.application.ports import UnitOfWork
from services.intake.domain.errors import FieldError, IntakeInvalid, TransitionNotAllowed
from services.intake.domain.intake import CLIENT_NOTE_MAX, ClientDeclineReason, Intake


@dataclass(frozen=True)
class ClientResponse:
    accepted: bool
    match_id: str | None = None  # None: the current proposal
    reason: ClientDeclineReason | None = None
    note: str = ""


def _problems(response: ClientResponse) -> list[FieldError]:
    errors: list[FieldError] = []
    if not response.accepted and response.reason is None:
        errors.append(FieldError("reason", "say why the client declines the home"))
    if response.accepted and response.reason is not None:
        errors.append(FieldError("reason", "is only for a decline"))
    if len(response.note.strip()) > CLIENT_NOTE_MAX:
        errors.append(FieldError("note", f"is longer than {CLIENT_NOTE_MAX} characters"))
    return errors


async def record_client_response(
    uow: UnitOfWork, ctx: IntakeContext, actor: Actor, case_id: str, response: ClientResponse
) -> Intake:
    intake = changeable_case(actor, await uow.intakes.get(case_id, for_update=True))
    problems = _problems(response)
    if problems:
        raise IntakeInvalid(problems)
    current = intake.current_proposal
    if current is None:
        raise TransitionNotAllowed(f"no home is proposed for this {intake.status} intake")
    match_id = response.match_id or current.match_id
    now = ctx.now()
    if response.accepted:
        intake.client_accepts(match_id, now)
    else:
        assert response.reason is not None
        intake.client_declines(match_id, response.reason, now, response.note)
    await uow.intakes.save(intake)
    await uow.publish(
        client_responded(intake, match_id, None if response.accepted else response.reason),
        case_id=intake.case_id, occurred_at=now,
    )
    return intake
