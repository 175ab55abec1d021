"""Contingent HTTP routes: coordinators set and watch the yearly quota."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.contingent.adapters.db.tables import contingents, ledger, members
from services.contingent.adapters.http.schemas import (
    ContingentIn,
    ContingentOut,
    MemberIn,
    MemberOut,
    NextMemberIn,
    ShareOut,
)
from services.contingent.application.ledger_state import (
    consumed,
    holdings,
    received,
    year_shares,
)
from services.contingent.application.set_contingent import set_contingent
from services.contingent.domain.sequencing import next_member
from shared.auth import Principal, require_role
from shared.runtime import ServiceRuntime
from shared.web import Problem

router = APIRouter(tags=["contingent"])
Coordinator = Annotated[Principal, Depends(require_role("coordinator"))]
Reader = Annotated[Principal, Depends(require_role("coordinator", "caseworker", "supporter"))]


def _rt(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


@router.post("/members", status_code=201, response_model=MemberOut)
async def register_member(body: MemberIn, request: Request, _: Coordinator) -> MemberOut:
    rt = _rt(request)
    async with rt.sessions() as session, session.begin():
        exists = (await session.execute(
            sa.select(members.c.member_id).where(members.c.member_id == body.member_id)
        )).first()
        if exists is not None:
            raise Problem(409, f"member {body.member_id} is already registered")
        await session.execute(sa.insert(members).values(
            member_id=body.member_id, name=body.name, active=True, created_at=rt.clock.now()))
    return MemberOut(member_id=body.member_id, name=body.name, active=True)


@router.get("/members", response_model=list[MemberOut])
async def list_members(request: Request, _: Reader) -> list[MemberOut]:
    async with _rt(request).sessions() as session:
        rows = (await session.execute(sa.select(members).order_by(members.c.member_id))).all()
    return [MemberOut(member_id=r.member_id, name=r.name, active=r.active) for r in rows]


async def _view(session: AsyncSession, year: int, principal: Principal) -> ContingentOut:
    row = (await session.execute(
        sa.select(contingents).where(contingents.c.year == year))).one_or_none()
    if row is None:
        raise Problem(404, f"no contingent has been set for {year}")
    held = await holdings(session, year)
    got, used = received(held), consumed(held)
    lines = await year_shares(session, year)
    total = sum(share for _, share in lines.values())
    t = sum(got.values())
    out = []
    for member_id, (need, share) in lines.items():
        if principal.role != "coordinator" and member_id != principal.org:
            continue  # a member sees its own line only
        ideal = Fraction(t * share, total) if total else Fraction(0)
        out.append(ShareOut(
            member_id=member_id, need=need, share=share, used=used[member_id],
            remaining=share - got[member_id], ideal_to_date=float(ideal),
            deviation=float(got[member_id] - ideal), allocated=got[member_id] - used[member_id],
        ))
    return ContingentOut(
        year=year, total_homes=row.total_homes, method=row.method,
        min_per_member=row.min_per_member, cap_at_need=row.cap_at_need, status=row.status,
        homes_allocated=t, ties=row.ties, shares=out,
    )


@router.put("/contingents/{year}", response_model=ContingentOut)
async def put_contingent(
    year: int, body: ContingentIn, request: Request, principal: Coordinator
) -> ContingentOut:
    rt = _rt(request)
    async with rt.sessions() as session, session.begin():
        await set_contingent(
            session, rt.outbox, rt.clock.now(), year, total_homes=body.total_homes,
            method=body.method, min_per_member=body.min_per_member,
            cap_at_need=body.cap_at_need, needs={m.member_id: m.need for m in body.members},
        )
        return await _view(session, year, principal)


@router.get("/contingents/{year}", response_model=ContingentOut)
async def get_contingent(year: int, request: Request, principal: Reader) -> ContingentOut:
    async with _rt(request).sessions() as session:
        return await _view(session, year, principal)


@router.get("/contingents/{year}/ledger")
async def get_ledger(year: int, request: Request, _: Coordinator) -> list[dict[str, Any]]:
    async with _rt(request).sessions() as session:
        rows = (await session.execute(
            sa.select(ledger).where(ledger.c.year == year).order_by(ledger.c.entry_id))).all()
    return [{"entry_id": r.entry_id, "home_id": str(r.home_id), "member_id": r.member_id,
             "kind": r.kind, "event_id": str(r.event_id),
             "occurred_at": r.occurred_at.isoformat()} for r in rows]


@router.post("/contingents/{year}/next-member")
async def what_if_next_member(
    year: int, body: NextMemberIn, request: Request, _: Coordinator
) -> dict[str, Any]:
    """Who would be owed the next home if these members had an eligible candidate (no change)."""
    async with _rt(request).sessions() as session:
        lines = await year_shares(session, year)
        if not lines:
            raise Problem(404, f"no contingent has been set for {year}")
        got = received(await holdings(session, year))
    decision = next_member({m: s for m, (_, s) in lines.items()},
                           {m: got.get(m, 0) for m in lines}, set(body.eligible_members))
    return {"member_id": decision.member_id, "home_number": decision.home_number,
            "skipped": decision.skipped, "reason": decision.reason}
