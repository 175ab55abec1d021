"""Matching HTTP routes: corporations offer homes and decide on proposals."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request

from services.matching.adapters.db.tables import homes, matches
from services.matching.adapters.http.schemas import (
    DeclineIn,
    HomeIn,
    HomeOut,
    MatchOut,
    TenancyIn,
)
from services.matching.application.decide_match import accept_match, decline_match, start_tenancy
from services.matching.application.mediate import request_allocation
from shared.auth import Principal, require_role
from shared.events.matching import HomeOffered
from shared.runtime import ServiceRuntime
from shared.web import Problem

router = APIRouter(tags=["matching"])
Corporation = Annotated[Principal, Depends(require_role("corporation"))]
Viewer = Annotated[Principal, Depends(require_role("corporation", "caseworker", "coordinator"))]


def _rt(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def _home_out(row: Any) -> HomeOut:
    return HomeOut(home_id=row.home_id, corporation_id=row.corporation_id, status=row.status,
                   contingent_year=row.contingent_year, offer=row.offer)


@router.post("/homes", status_code=201, response_model=HomeOut)
async def offer_home(body: HomeIn, request: Request, principal: Corporation) -> HomeOut:
    rt = _rt(request)
    home_id = uuid.uuid4()
    offer = HomeOffered(home_id=home_id, corporation_id=principal.org, **body.model_dump())
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        await session.execute(sa.insert(homes).values(
            home_id=home_id, corporation_id=principal.org, offer=offer.model_dump(mode="json"),
            contingent_year=body.contingent_year, status="waiting", offered_at=now,
        ))
        await rt.outbox.add(session, offer, case_id=home_id, occurred_at=now)
        await request_allocation(session, rt.outbox, home_id)
        row = (await session.execute(sa.select(homes).where(homes.c.home_id == home_id))).one()
    return _home_out(row)


@router.get("/homes", response_model=list[HomeOut])
async def list_homes(request: Request, principal: Viewer) -> list[HomeOut]:
    query = sa.select(homes).order_by(homes.c.offered_at)
    if principal.role == "corporation":
        query = query.where(homes.c.corporation_id == principal.org)
    async with _rt(request).sessions() as session:
        return [_home_out(r) for r in (await session.execute(query)).all()]


def _visible(principal: Principal, row: Any) -> bool:
    if principal.role == "corporation":
        return bool(row.corporation_id == principal.org)
    if principal.role == "caseworker":
        return bool(row.member_id == principal.org)
    return True


@router.get("/matches", response_model=list[MatchOut])
async def list_matches(request: Request, principal: Viewer) -> list[MatchOut]:
    query = sa.select(matches).order_by(matches.c.deadline)
    if principal.role == "corporation":
        query = query.where(matches.c.corporation_id == principal.org)
    elif principal.role == "caseworker":
        query = query.where(matches.c.member_id == principal.org)
    async with _rt(request).sessions() as session:
        return [MatchOut.model_validate(r._mapping) for r in (await session.execute(query)).all()]


@router.get("/matches/{match_id}", response_model=MatchOut)
async def get_match(match_id: UUID, request: Request, principal: Viewer) -> MatchOut:
    async with _rt(request).sessions() as session:
        row = (await session.execute(
            sa.select(matches).where(matches.c.match_id == match_id))).one_or_none()
    if row is None or not _visible(principal, row):
        raise Problem(404, "no such proposal")
    return MatchOut.model_validate(row._mapping)


@router.post("/matches/{match_id}/accept", response_model=MatchOut)
async def accept(match_id: UUID, request: Request, principal: Corporation) -> MatchOut:
    rt = _rt(request)
    async with rt.sessions() as session, session.begin():
        await accept_match(session, rt.outbox, rt.clock.now(), match_id, principal.org)
    return await get_match(match_id, request, principal)


@router.post("/matches/{match_id}/decline", response_model=MatchOut)
async def decline(
    match_id: UUID, body: DeclineIn, request: Request, principal: Corporation
) -> MatchOut:
    rt = _rt(request)
    async with rt.sessions() as session, session.begin():
        await decline_match(session, rt.outbox, rt.clock.now(), match_id, principal.org,
                            body.reason, body.note)
    return await get_match(match_id, request, principal)


@router.post("/matches/{match_id}/tenancy", response_model=MatchOut)
async def tenancy(
    match_id: UUID, body: TenancyIn, request: Request, principal: Corporation
) -> MatchOut:
    rt = _rt(request)
    async with rt.sessions() as session, session.begin():
        await start_tenancy(session, rt.outbox, rt.clock.now(), match_id, principal.org,
                            body.signed_on, body.start_date)
    return await get_match(match_id, request, principal)


@router.get("/homes/{home_id}/explanation")
async def explanation(home_id: UUID, request: Request, principal: Viewer) -> dict[str, Any]:
    async with _rt(request).sessions() as session:
        home = (await session.execute(
            sa.select(homes).where(homes.c.home_id == home_id))).one_or_none()
        if home is None or (principal.role == "corporation"
                            and home.corporation_id != principal.org):
            raise Problem(404, "no such home")
        rows = (await session.execute(
            sa.select(matches).where(matches.c.home_id == home_id)
            .order_by(matches.c.proposed_at))).all()
    return {"home_id": str(home_id), "status": home.status, "proposals": [
        {"match_id": str(r.match_id), "member_id": r.member_id, "status": r.status,
         "explanation": r.explanation} for r in rows]}
