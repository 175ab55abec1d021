"""Matching HTTP routes: corporations offer homes and decide on proposals; caseworkers follow
their clients' proposals; coordinators see everything pseudonymous, and why.

Access (DESIGN "Who uses it"):
- corporation staff: only their own homes and proposals, and of the client only the
  non-identifying fields a tenancy needs (the warm handover); another corporation's home or
  proposal answers 404, so that its existence does not leak;
- caseworkers: only the proposals for their own member organisation's clients (404 else);
- coordinators: every home, proposal and explanation (pseudonymous references only);
- anyone else: 403.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request

from services.matching.adapters.db.repository import (
    MATCH_FIELDS,
    candidate_from_row,
    get_candidate,
    get_match,
    home_from_row,
)
from services.matching.adapters.db.tables import homes, matches
from services.matching.adapters.http.schemas import (
    DeclineIn,
    ExplanationOut,
    HandoverOut,
    HandoverRiskOut,
    HomeIn,
    HomeOut,
    MatchOut,
    ProposalExplanationOut,
    TenancyIn,
)
from services.matching.application.decide_match import (
    accept_match,
    decline_match,
    start_tenancy,
)
from services.matching.application.errors import NotFound
from services.matching.application.explain import for_corporation
from services.matching.application.offer_home import offer_home
from services.matching.application.unit import Services, Unit
from services.matching.application.withdraw import withdraw_home
from services.matching.domain.decline_reasons import DeclineReason
from services.matching.domain.handover import warm_handover
from shared.auth import Principal, require_role
from shared.runtime import ServiceRuntime
from shared.web import Problem

router = APIRouter(tags=["matching"])
Corporation = Annotated[Principal, Depends(require_role("corporation"))]
HomeViewer = Annotated[Principal, Depends(require_role("corporation", "coordinator"))]
MatchViewer = Annotated[
    Principal, Depends(require_role("corporation", "caseworker", "coordinator"))]
HandoverViewer = Annotated[Principal, Depends(require_role("corporation", "caseworker"))]

HANDOVER_STATUSES = ("proposed", "accepted", "tenancy_started")


def _rt(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


@asynccontextmanager
async def _unit(request: Request) -> AsyncIterator[Unit]:
    """One transaction, committed when the block ends without an error."""
    rt = _rt(request)
    services: Services = request.app.state.services
    async with rt.sessions() as session, session.begin():
        yield services.unit(session, rt.clock.now())


def _home_out(row: Any) -> HomeOut:
    return HomeOut(home_id=row.home_id, corporation_id=row.corporation_id, status=row.status,
                   contingent_year=row.contingent_year, offered_at=row.offered_at,
                   offer=row.offer)


def _may_see_home(principal: Principal, row: Any) -> bool:
    return principal.role == "coordinator" or row.corporation_id == principal.org


def _may_see_match(principal: Principal, row: Any) -> bool:
    if principal.role == "corporation":
        return bool(row.corporation_id == principal.org)
    if principal.role == "caseworker":
        return bool(row.member_id == principal.org)
    return principal.role == "coordinator"


def _match_out(principal: Principal, row: Any) -> MatchOut:
    fields = {k: v for k, v in row._mapping.items() if k in MatchOut.model_fields}
    if not (principal.role == "corporation" and row.corporation_id == principal.org):
        fields["decline_note"] = None  # the note stays with the corporation that wrote it
    return MatchOut.model_validate(fields)


# --- homes ---------------------------------------------------------------------------------


_HOME = sa.select(homes).where(homes.c.home_id == sa.bindparam("home_id"))  # built once


async def _home_as_left(unit: Unit, home_id: UUID) -> HomeOut:
    """The home as the caller's transaction leaves it: read in that transaction, not in a
    second one after it (a connection, BEGIN and ROLLBACK saved per offer)."""
    return _home_out((await unit.session.execute(_HOME, {"home_id": home_id})).one())


@router.post("/homes", status_code=201, response_model=HomeOut)
async def offer(body: HomeIn, request: Request, principal: Corporation) -> HomeOut:
    async with _unit(request) as unit:
        home_id = await offer_home(unit, principal.org, body.model_dump())
        return await _home_as_left(unit, home_id)


@router.get("/homes", response_model=list[HomeOut])
async def list_homes(request: Request, principal: HomeViewer,
                     status: str | None = None) -> list[HomeOut]:
    query = sa.select(homes).order_by(homes.c.offered_at)
    if principal.role == "corporation":
        query = query.where(homes.c.corporation_id == principal.org)
    if status is not None:
        query = query.where(homes.c.status == status)
    async with _rt(request).sessions() as session:
        return [_home_out(r) for r in (await session.execute(query)).all()]


@router.get("/homes/{home_id}", response_model=HomeOut)
async def get_home(home_id: UUID, request: Request, principal: HomeViewer) -> HomeOut:
    async with _rt(request).sessions() as session:
        row = (await session.execute(_HOME, {"home_id": home_id})).one_or_none()
    if row is None or not _may_see_home(principal, row):
        raise NotFound("home")
    return _home_out(row)


@router.post("/homes/{home_id}/withdraw", response_model=HomeOut)
async def withdraw(home_id: UUID, request: Request, principal: Corporation) -> HomeOut:
    """Withdraw a home before its tenancy: an open proposal is cancelled (409 once let)."""
    async with _unit(request) as unit:
        await withdraw_home(unit, home_id, principal.org)
        return await _home_as_left(unit, home_id)


@router.get("/homes/{home_id}/explanation", response_model=ExplanationOut)
async def explanation(home_id: UUID, request: Request, principal: HomeViewer) -> ExplanationOut:
    """Per proposal made for the home: the candidates considered, why each ineligible one was
    excluded, the contingent's answer at that moment, and why the winner won."""
    async with _rt(request).sessions() as session:
        home = (await session.execute(
            sa.select(homes).where(homes.c.home_id == home_id))).one_or_none()
        if home is None or not _may_see_home(principal, home):
            raise NotFound("home")
        rows = (await session.execute(
            sa.select(matches).where(matches.c.home_id == home_id)
            .order_by(matches.c.proposed_at, matches.c.allocation_round))).all()
    shown = for_corporation if principal.role == "corporation" else dict
    return ExplanationOut(
        home_id=home_id, status=home.status, contingent_year=home.contingent_year,
        proposals=[ProposalExplanationOut(
            match_id=r.match_id, status=r.status, member_id=r.member_id,
            proposed_at=r.proposed_at, explanation=shown(r.explanation),
        ) for r in rows],
    )


# --- proposals -----------------------------------------------------------------------------


@router.get("/matches", response_model=list[MatchOut])
async def list_matches(request: Request, principal: MatchViewer,
                       status: str | None = None) -> list[MatchOut]:
    query = sa.select(*MATCH_FIELDS).order_by(matches.c.deadline)
    if principal.role == "corporation":
        query = query.where(matches.c.corporation_id == principal.org)
    elif principal.role == "caseworker":
        query = query.where(matches.c.member_id == principal.org)
    if status is not None:
        query = query.where(matches.c.status == status)
    async with _rt(request).sessions() as session:
        return [_match_out(principal, r) for r in (await session.execute(query)).all()]


@router.get("/matches/{match_id}", response_model=MatchOut)
async def get_proposal(match_id: UUID, request: Request, principal: MatchViewer) -> MatchOut:
    async with _rt(request).sessions() as session:
        row = await get_match(session, match_id)
    if row is None or not _may_see_match(principal, row):
        raise NotFound("proposal")
    return _match_out(principal, row)


@router.post("/matches/{match_id}/accept", response_model=MatchOut)
async def accept(match_id: UUID, request: Request, principal: Corporation) -> MatchOut:
    async with _unit(request) as unit:
        await accept_match(unit, match_id, principal.org)
    return await get_proposal(match_id, request, principal)


@router.post("/matches/{match_id}/decline", response_model=MatchOut)
async def decline(
    match_id: UUID, body: DeclineIn, request: Request, principal: Corporation
) -> MatchOut:
    async with _unit(request) as unit:
        await decline_match(unit, match_id, principal.org, DeclineReason(body.reason),
                            body.note)
    return await get_proposal(match_id, request, principal)


@router.post("/matches/{match_id}/tenancy", response_model=MatchOut)
async def tenancy(
    match_id: UUID, body: TenancyIn, request: Request, principal: Corporation
) -> MatchOut:
    """Record the signed tenancy of an accepted proposal; the contract is the home's."""
    async with _unit(request) as unit:
        await start_tenancy(unit, match_id, principal.org, body.signed_on, body.start_date)
    return await get_proposal(match_id, request, principal)


@router.get("/matches/{match_id}/handover", response_model=HandoverOut)
async def handover(match_id: UUID, request: Request, principal: HandoverViewer) -> HandoverOut:
    """The warm handover for the corporation: the household, the support arranged, the risks
    with their agreed mitigations, and why this home suits — nothing that identifies."""
    async with _rt(request).sessions() as session:
        row = await get_match(session, match_id)
        if row is None or not _may_see_match(principal, row):
            raise NotFound("proposal")
        if row.status not in HANDOVER_STATUSES:
            raise Problem(409, f"the proposal is {row.status}; the handover is only available "
                               "while it is open or after its tenancy started")
        home = (await session.execute(
            sa.select(homes).where(homes.c.home_id == row.home_id))).one()
        candidate = await get_candidate(session, row.case_id)
    note = warm_handover(candidate_from_row(candidate), home_from_row(home))
    return HandoverOut(
        match_id=match_id, household=note.household, adults=note.adults,
        children=note.children, support_hours_per_week=note.support_hours_per_week,
        member_organisation=note.member_organisation,
        risks=[HandoverRiskOut(category=r.category.value, mitigation=r.mitigation)
               for r in note.risks],
        cluster_preference=note.cluster_preference.value, setting=note.setting,
        accessibility=list(note.accessibility), home_fit=list(note.home_fit),
        text=note.as_text(),
    )
