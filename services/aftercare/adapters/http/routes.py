"""Aftercare HTTP routes: supporters see their own organisation's trajectories."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from services.aftercare.adapters.db.tables import trajectories
from shared.auth import Principal, require_role
from shared.runtime import ServiceRuntime
from shared.web import Problem

router = APIRouter(tags=["aftercare"])
Reader = Annotated[Principal, Depends(require_role("supporter", "coordinator"))]


class TrajectoryOut(BaseModel):
    trajectory_id: UUID
    case_id: UUID
    client_ref: str
    member_id: str
    tenancy_start: date
    ends_on: date
    status: str
    outcome: str | None


def _rt(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def _scoped(query: Any, principal: Principal) -> Any:
    if principal.role == "supporter":
        return query.where(trajectories.c.member_id == principal.org)
    return query


@router.get("/trajectories", response_model=list[TrajectoryOut])
async def list_trajectories(request: Request, principal: Reader) -> list[TrajectoryOut]:
    query = _scoped(sa.select(trajectories).order_by(trajectories.c.tenancy_start), principal)
    async with _rt(request).sessions() as session:
        rows = (await session.execute(query)).all()
    return [TrajectoryOut.model_validate(r._mapping) for r in rows]


@router.get("/trajectories/{trajectory_id}", response_model=TrajectoryOut)
async def get_trajectory(trajectory_id: UUID, request: Request, principal: Reader) -> TrajectoryOut:
    query = _scoped(
        sa.select(trajectories).where(trajectories.c.trajectory_id == trajectory_id), principal
    )
    async with _rt(request).sessions() as session:
        row = (await session.execute(query)).one_or_none()
    if row is None:
        raise Problem(404, "no such trajectory")
    return TrajectoryOut.model_validate(row._mapping)
