"""Contingent routes: coordinators set, redistribute, close and explain the yearly quota;
a member organisation's staff read their own line. See docs/contingent-service.md."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from services.contingent.adapters.db import views
from services.contingent.adapters.db.unit_of_work import SqlUnit
from services.contingent.adapters.http.dependencies import Coordinator, Reader, units, viewer
from services.contingent.adapters.http.presenters import (
    contingent_out,
    decision_out,
    ledger_entry_out,
    redistribution_out,
    redistribution_row_out,
    stored_decision_out,
)
from services.contingent.adapters.http.schemas import (
    CarryOverIn,
    CloseIn,
    ContingentIn,
    ContingentOut,
    DecisionOut,
    ExplanationOut,
    HoldingOut,
    LedgerEntryOut,
    LedgerKind,
    MemberId,
    NextMemberIn,
    RedistributeIn,
    RedistributeOut,
    RedistributionOut,
    YearOut,
)
from services.contingent.application.access import Viewer, member_scope
from services.contingent.application.carry_over import carry_over
from services.contingent.application.close_contingent import close_contingent
from services.contingent.application.errors import InvalidRequest, NotFound
from services.contingent.application.explanations import explanation_of
from services.contingent.application.ports import Pledge
from services.contingent.application.redistribute_contingent import redistribute_contingent
from services.contingent.application.set_contingent import ContingentSettings, set_contingent
from services.contingent.application.what_if import next_member_what_if
from services.contingent.application.years import load_year
from services.contingent.domain.contingent import Contingent

router = APIRouter(tags=["contingent"])
YearPath = Annotated[int, Path(ge=2000, le=9999, description="the contingent year")]
BUSINESS_TZ = ZoneInfo("Europe/Amsterdam")  # ledger date filters are local calendar days


async def _view(unit: SqlUnit, contingent: Contingent, who: Viewer) -> ContingentOut:
    pledges = await unit.contingents.pledges(contingent.year)
    delivered = await views.delivered_by_corporation(unit.session, contingent.year)
    return contingent_out(contingent, who, pledges, delivered)


@router.get("/contingents", response_model=list[YearOut])
async def list_years(request: Request, _: Coordinator) -> list[YearOut]:
    async with units(request)() as unit:
        rows = await views.years(unit.session)
    return [YearOut(year=r.year, status=r.status, total_homes=r.total_homes, method=r.method)
            for r in rows]


@router.put("/contingents/{year}", response_model=ContingentOut)
async def put_contingent(
    year: YearPath, body: ContingentIn, request: Request, principal: Coordinator
) -> ContingentOut:
    settings = ContingentSettings(
        year=year, total_homes=body.total_homes, method=body.method,
        min_per_member=body.min_per_member, cap_at_need=body.cap_at_need,
        needs=tuple((m.member_id, m.need) for m in body.members),
        pledges=tuple(Pledge(p.corporation_id, p.homes) for p in body.pledges or ()),
        carry_over_from=body.carry_over_from,
    )
    async with units(request)() as unit:
        contingent = await set_contingent(unit, settings)
        return await _view(unit, contingent, viewer(principal))


@router.get("/contingents/{year}", response_model=ContingentOut)
async def get_contingent(year: YearPath, request: Request, principal: Reader) -> ContingentOut:
    async with units(request)() as unit:
        contingent = await load_year(unit, year, lock=False)
        return await _view(unit, contingent, viewer(principal))


@router.post("/contingents/{year}/redistribute", response_model=RedistributeOut)
async def post_redistribute(
    year: YearPath, request: Request, principal: Coordinator, body: RedistributeIn | None = None,
) -> RedistributeOut:
    body = body or RedistributeIn()
    needs = {m.member_id: m.need for m in body.needs} if body.needs is not None else None
    async with units(request)() as unit:
        record = await redistribute_contingent(unit, year, needs=needs, note=body.note)
        contingent = await load_year(unit, year, lock=False)
        return RedistributeOut(
            redistribution=redistribution_out(year, record, len(contingent.ledger)),
            contingent=await _view(unit, contingent, viewer(principal)))


@router.get("/contingents/{year}/redistributions", response_model=list[RedistributionOut])
async def get_redistributions(year: YearPath, request: Request, _: Coordinator
                              ) -> list[RedistributionOut]:
    async with units(request)() as unit:
        await load_year(unit, year, lock=False)
        rows = await views.redistribution_record(unit.session, year)
    return [redistribution_row_out(r) for r in rows]


@router.post("/contingents/{year}/close", response_model=ContingentOut)
async def post_close(
    year: YearPath, request: Request, principal: Coordinator, body: CloseIn | None = None,
) -> ContingentOut:
    """Freeze the year and record every member's balance (409 while homes are in flight,
    unless `count_in_flight_as_used`)."""
    body = body or CloseIn()
    async with units(request)() as unit:
        await close_contingent(unit, year, count_in_flight_as_used=body.count_in_flight_as_used)
        return await _view(unit, await load_year(unit, year, lock=False), viewer(principal))


@router.post("/contingents/{year}/carry-over", response_model=ContingentOut)
async def post_carry_over(
    year: YearPath, body: CarryOverIn, request: Request, principal: Coordinator
) -> ContingentOut:
    """Add a closed earlier year's unused shares to this year's need and recompute the
    shares (before the first home of the year only)."""
    async with units(request)() as unit:
        await carry_over(unit, year, body.from_year)
        return await _view(unit, await load_year(unit, year, lock=False), viewer(principal))


LEDGER_COLUMNS = ("entry_id", "sequence", "year", "home_id", "member_id", "kind", "note",
                  "event_id", "event_type", "round", "corporation_id", "occurred_at")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BUSINESS_TZ)


@router.get("/contingents/{year}/ledger", response_model=list[LedgerEntryOut],
            responses={200: {"content": {"text/csv": {}}}})
async def get_ledger(
    year: YearPath, request: Request, principal: Reader,
    member_id: MemberId | None = None,
    kind: LedgerKind | None = None,
    home_id: UUID | None = None,
    from_: Annotated[date | None, Query(alias="from", description="first day, inclusive")] = None,
    to: Annotated[date | None, Query(description="last day, inclusive")] = None,
    format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
) -> list[LedgerEntryOut] | Response:
    """The append-only ledger, oldest first. `?format=csv` or `Accept: text/csv` for CSV.
    A member's own staff see only their member's entries."""
    if from_ is not None and to is not None and from_ > to:
        raise InvalidRequest("'from' is after 'to'; swap them.", "from")
    where = views.LedgerFilter(
        member_id=member_scope(viewer(principal), member_id), kind=kind, home_id=home_id,
        occurred_from=_day_start(from_) if from_ else None,
        occurred_before=_day_start(to + timedelta(days=1)) if to else None,
    )
    async with units(request)() as unit:
        if not await views.year_exists(unit.session, year):
            raise NotFound(f"No contingent has been set for {year}.")
        entries = [ledger_entry_out(r) for r in await views.ledger_entries(unit.session, year,
                                                                           where)]
    wants_csv = format == "csv" or (format is None
                                    and "text/csv" in request.headers.get("accept", ""))
    return _csv(year, entries) if wants_csv else entries


def _csv(year: int, entries: list[LedgerEntryOut]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LEDGER_COLUMNS)
    for e in entries:
        row = e.model_dump(mode="json")
        writer.writerow(["" if row[c] is None else row[c] for c in LEDGER_COLUMNS])
    return Response(
        out.getvalue(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="contingent-{year}-ledger.csv"'})


@router.get("/contingents/{year}/explanations/{home_id}", response_model=ExplanationOut)
async def get_explanation(year: YearPath, home_id: UUID, request: Request, _: Coordinator
                          ) -> ExplanationOut:
    """Every allocation decision for this home: who was considered, what each was owed and
    its deviation at that moment, who had an eligible candidate, and why the winner won."""
    async with units(request)() as unit:
        contingent = await load_year(unit, year, lock=False)
        rows = await views.decisions_for_home(unit.session, year, home_id)
    if not rows:
        raise NotFound(f"No allocation of home {home_id} was decided in the {year} contingent.")
    held = contingent.holding(str(home_id))
    return ExplanationOut(
        year=year, home_id=home_id,
        holding=HoldingOut(member_id=held.member_id, status=held.status) if held else None,
        decisions=[stored_decision_out(r) for r in rows])


@router.post("/contingents/{year}/next-member", response_model=DecisionOut)
async def post_next_member(year: YearPath, body: NextMemberIn, request: Request,
                           _: Coordinator) -> DecisionOut:
    """What-if: who would be owed the next home if these members had an eligible candidate.
    Nothing is recorded."""
    async with units(request)() as unit:
        decision = await next_member_what_if(unit, year, body.eligible_members)
    return decision_out(decision.member_id,
                        explanation_of(decision, body.eligible_members, decision.reason))
