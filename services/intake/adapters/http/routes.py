"""Intake HTTP routes: caseworkers keep their own member organisation's client files; the
coordinator sees cases pseudonymously and reads the access log.

Each route reads "open a unit of work, call the use case, commit", then counts what happened
(only after the commit, so a refused request is never counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import AwareDatetime

from services.intake.adapters.db.unit_of_work import SqlUnitOfWork, unit_of_work
from services.intake.adapters.http.errors import OpenCaseExists, rejected
from services.intake.adapters.http.forms import IntakeIn, IntakePatch
from services.intake.adapters.http.schemas import (
    AccessEntryOut,
    ClientResponseIn,
    IntakeOut,
    IntakeUpdatedOut,
    WithdrawIn,
)
from services.intake.adapters.metrics import (
    INTAKES_SUBMITTED,
    INTAKES_WITHDRAWN,
    PERSONAL_DATA_READS,
)
from services.intake.application.context import IntakeContext
from services.intake.application.integration_events import profile_document
from services.intake.application.open_intake import NewIntake, open_intake
from services.intake.application.ports import AccessQuery, CaseFilter
from services.intake.application.query_access_log import query_access_log
from services.intake.application.read_intakes import list_cases, read_case_file
from services.intake.application.record_client_response import (
    ClientResponse,
    record_client_response,
)
from services.intake.application.submit_intake import submit_intake
from services.intake.application.update_intake import update_intake
from services.intake.application.withdraw_intake import withdraw_intake
from services.intake.domain.details import IntakeDetails
from services.intake.domain.errors import DuplicateIntake, FieldError, IntakeInvalid
from services.intake.domain.intake import Intake, IntakeStatus
from shared.auth import Principal, require_role
from shared.runtime import ServiceRuntime

router = APIRouter(tags=["intakes"])
Caseworker = Annotated[Principal, Depends(require_role("caseworker"))]
Reader = Annotated[Principal, Depends(require_role("caseworker", "coordinator"))]
Coordinator = Annotated[Principal, Depends(require_role("coordinator"))]


@dataclass(frozen=True)
class Wiring:
    """What the routes need, put on `app.state.intake` by the composition root."""

    ctx: IntakeContext
    runtime: ServiceRuntime

    def uow(self, *, one_statement: bool = False) -> AbstractAsyncContextManager[SqlUnitOfWork]:
        return unit_of_work(self.runtime.sessions, self.runtime.outbox,
                            one_statement=one_statement)

    def today(self) -> date:
        return self.ctx.now().date()


async def _wiring(request: Request) -> Wiring:
    return request.app.state.intake  # type: ignore[no-any-return]


Wired = Annotated[Wiring, Depends(_wiring)]


def _out(intake: Intake) -> IntakeOut:
    """The case without personal data: what every write answers and the coordinator sees."""
    return IntakeOut.of(intake, profile_document(intake.matching_view()))


@router.post("/intakes", status_code=201, response_model=IntakeOut)
async def post_intake(body: IntakeIn, principal: Caseworker, wired: Wired) -> IntakeOut:
    """Open an intake; `submit: false` keeps it as a draft."""
    new = NewIntake(details=body.to_details(wired.today()),
                    client_number=body.client.client_number, submit=body.submit,
                    input_errors=body.input_errors())
    try:
        async with wired.uow(one_statement=True) as uow:  # open_intake writes once
            intake = await open_intake(uow, wired.ctx, principal, new)
    except IntakeInvalid as invalid:
        raise rejected(invalid.errors, wired.ctx.rules,
                       consent_date_given=body.consent_given_on is not None) from None
    except DuplicateIntake as duplicate:
        raise OpenCaseExists.told_to(principal.org, duplicate) from None
    if intake.status is IntakeStatus.SUBMITTED:
        INTAKES_SUBMITTED.labels(intake.member_id).inc()
    return _out(intake)


@router.get("/intakes", response_model=list[IntakeOut])
async def get_intakes(
    principal: Reader, wired: Wired,
    status: IntakeStatus | None = None,
    member_id: Annotated[str | None, Query(description="coordinator only")] = None,
    client_ref: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[IntakeOut]:
    """Cases without personal data (a caseworker: their own organisation's only)."""
    which = CaseFilter(member_id=member_id, status=status, client_ref=client_ref,
                       limit=limit, offset=offset)
    async with wired.uow() as uow:
        cases = await list_cases(uow, principal, which)
    return [_out(intake) for intake in cases]


@router.get("/intakes/{case_id}", response_model=IntakeOut)
async def get_intake(
    case_id: UUID, principal: Reader, wired: Wired,
    reason: Annotated[str | None, Query(description="why you open the file (logged)")] = None,
    x_access_reason: Annotated[str | None, Header()] = None,
) -> IntakeOut:
    """The client file. For the own organisation's caseworker with the personal data, and the
    read is logged (who, when, which case, `reason` or the `X-Access-Reason` header, default
    "case work"); for the coordinator without it."""
    async with wired.uow() as uow:
        case = await read_case_file(uow, principal, str(case_id), x_access_reason or reason)
    if case.with_personal_data:
        PERSONAL_DATA_READS.inc()
    return IntakeOut.of(case.intake, profile_document(case.intake.matching_view()),
                        personal=case.with_personal_data, client_number=case.client_number)


@router.patch("/intakes/{case_id}", response_model=IntakeUpdatedOut)
async def patch_intake(
    case_id: UUID, body: IntakePatch, principal: Caseworker, wired: Wired
) -> IntakeUpdatedOut:
    """Change fields; matching hears of changed matching fields (`IntakeUpdated`)."""
    today = wired.today()

    def change(current: IntakeDetails) -> tuple[IntakeDetails, Sequence[FieldError]]:
        return body.apply(current, today)

    try:
        async with wired.uow() as uow:
            updated = await update_intake(uow, wired.ctx, principal, str(case_id), change)
    except IntakeInvalid as invalid:
        raise rejected(invalid.errors, wired.ctx.rules,
                       consent_date_given="consent_given_on" in body.model_fields_set) from None
    out = _out(updated.intake)
    return IntakeUpdatedOut(**out.model_dump(), changed_matching_fields=updated.changed)


@router.post("/intakes/{case_id}/submit", response_model=IntakeOut)
async def post_submit(case_id: UUID, principal: Caseworker, wired: Wired) -> IntakeOut:
    """Submit a draft to matching."""
    async with wired.uow() as uow:
        intake = await submit_intake(uow, wired.ctx, principal, str(case_id))
    INTAKES_SUBMITTED.labels(intake.member_id).inc()
    return _out(intake)


@router.post("/intakes/{case_id}/withdraw", response_model=IntakeOut)
async def post_withdraw(
    case_id: UUID, body: WithdrawIn, principal: Caseworker, wired: Wired
) -> IntakeOut:
    async with wired.uow() as uow:
        intake = await withdraw_intake(uow, wired.ctx, principal, str(case_id), body.reason)
    INTAKES_WITHDRAWN.labels(str(body.reason)).inc()
    return _out(intake)


@router.post("/intakes/{case_id}/client-response", response_model=IntakeOut)
async def post_client_response(
    case_id: UUID, body: ClientResponseIn, principal: Caseworker, wired: Wired
) -> IntakeOut:
    """The client's answer to the proposed home: accept, or decline with a reason."""
    response = ClientResponse(accepted=body.response == "accept", match_id=body.match_id,
                              reason=body.reason, note=body.note)
    async with wired.uow() as uow:
        intake = await record_client_response(uow, wired.ctx, principal, str(case_id), response)
    return _out(intake)


audit_router = APIRouter(tags=["access log"])


@audit_router.get("/audit", response_model=list[AccessEntryOut])
async def get_audit(
    principal: Coordinator, wired: Wired,
    case_id: UUID | None = None,
    reader: str | None = None,
    member_id: str | None = None,
    since: Annotated[AwareDatetime | None, Query(description="inclusive")] = None,
    until: Annotated[AwareDatetime | None, Query(description="exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[AccessEntryOut]:
    """Who read which client's personal data, when and why — never the data itself."""
    which = AccessQuery(case_id=None if case_id is None else str(case_id), reader=reader,
                        member_id=member_id, since=since, until=until, limit=limit)
    async with wired.uow() as uow:
        entries = await query_access_log(uow, principal, which)
    return [AccessEntryOut(read_at=e.read_at, reader=e.reader, role=e.role, org=e.org,
                           case_id=UUID(e.case_id), member_id=e.member_id, reason=e.reason)
            for e in entries]
