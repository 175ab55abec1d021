"""Intake HTTP routes: caseworkers manage their own member organisation's cases."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request

from services.intake.adapters.db.tables import intakes
from services.intake.adapters.http.schemas import IntakeIn, IntakeOut
from services.intake.application.submit_intake import submit_intake
from shared.auth import Principal, require_role
from shared.runtime import ServiceRuntime
from shared.web import Problem

router = APIRouter(tags=["intakes"])
Caseworker = Annotated[Principal, Depends(require_role("caseworker"))]
Reader = Annotated[Principal, Depends(require_role("caseworker", "coordinator"))]


def _runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def _out(row: sa.Row, principal: Principal) -> IntakeOut:  # type: ignore[type-arg]
    own = principal.role == "caseworker" and principal.org == row.member_id
    return IntakeOut(
        case_id=row.case_id, member_id=row.member_id, status=row.status,
        client_ref=row.client_ref, submitted_at=row.submitted_at, profile=row.profile,
        client=row.personal if own else None,
    )


@router.post("/intakes", status_code=201, response_model=IntakeOut)
async def post_intake(body: IntakeIn, request: Request, principal: Caseworker) -> IntakeOut:
    rt = _runtime(request)
    key = rt.settings.pseudonym_key.get_secret_value().encode()
    async with rt.sessions() as session, session.begin():
        result = await submit_intake(session, rt.outbox, rt.clock, key, principal, body)
        row = (await session.execute(
            sa.select(intakes).where(intakes.c.case_id == result.case_id)
        )).one()
    return _out(row, principal)


@router.get("/intakes", response_model=list[IntakeOut])
async def list_intakes(request: Request, principal: Reader) -> list[IntakeOut]:
    query = sa.select(intakes).order_by(intakes.c.created_at)
    if principal.role == "caseworker":
        query = query.where(intakes.c.member_id == principal.org)
    async with _runtime(request).sessions() as session:
        rows = (await session.execute(query)).all()
    return [_out(r, principal) for r in rows]


@router.get("/intakes/{case_id}", response_model=IntakeOut)
async def get_intake(case_id: UUID, request: Request, principal: Reader) -> IntakeOut:
    async with _runtime(request).sessions() as session:
        row = (await session.execute(
            sa.select(intakes).where(intakes.c.case_id == case_id)
        )).one_or_none()
    # Another member's case does not exist as far as this caseworker can tell.
    if row is None or (principal.role == "caseworker" and row.member_id != principal.org):
        raise Problem(404, "no such case")
    return _out(row, principal)
