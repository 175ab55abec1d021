"""Aftercare HTTP routes.

Who may do what: the supporting organisation (role `supporter`, `org` = member id) works its
own trajectories; a corporation reports signals on its own tenancies and sees only those; the
coordinator sees every trajectory, but only dates, statuses and pseudonymous references.
Another organisation's trajectory or signal is a 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from services.aftercare.adapters.db.unit_of_work import SqlUnitOfWork
from services.aftercare.adapters.db.views import signal_listing
from services.aftercare.adapters.http.errors import refusals
from services.aftercare.adapters.http.schemas import (
    CheckInIn,
    CheckInOut,
    CohortOut,
    CompletionIn,
    DueCheckInOut,
    ExtensionIn,
    ExtensionOut,
    ReturnsOut,
    SignalIn,
    SignalOut,
    TrajectoryDetailOut,
    TrajectoryOut,
)
from services.aftercare.application.acknowledge_signal import acknowledge_signal
from services.aftercare.application.complete_trajectory import complete_trajectory
from services.aftercare.application.extend_trajectory import extend_trajectory
from services.aftercare.application.queries import (
    returns_per_cohort,
    trajectories_by_attention,
    trajectory_for,
)
from services.aftercare.application.raise_signal import raise_signal
from services.aftercare.application.record_checkin import record_checkin
from services.aftercare.domain.attention import attention_tier
from services.aftercare.domain.checkin import CheckInStatus, LifeDomain
from services.aftercare.domain.outcomes import Outcome
from services.aftercare.domain.signals import Signal, SignalKind
from services.aftercare.domain.trajectory import AftercareTrajectory
from services.aftercare.settings import AftercareSettings
from shared.auth import Principal, require_role
from shared.runtime import ServiceRuntime

router = APIRouter(tags=["aftercare"])
Reader = Annotated[Principal, Depends(require_role("supporter", "coordinator"))]
Supporter = Annotated[Principal, Depends(require_role("supporter"))]
Corporation = Annotated[Principal, Depends(require_role("corporation"))]
Coordinator = Annotated[Principal, Depends(require_role("coordinator"))]
SignalReader = Annotated[
    Principal, Depends(require_role("corporation", "supporter", "coordinator"))
]


@dataclass(frozen=True)
class Context:
    """Business time and a fresh transaction, for one request."""

    new_uow: Callable[[], AbstractAsyncContextManager[SqlUnitOfWork]]
    now: datetime
    today: date


async def context(request: Request) -> Context:
    runtime: ServiceRuntime = request.app.state.runtime
    settings: AftercareSettings = request.app.state.aftercare_settings
    now = runtime.clock.now()
    return Context(request.app.state.new_uow, now, settings.business_date(now))


Ctx = Annotated[Context, Depends(context)]


def _scope(principal: Principal) -> str | None:
    """The member organisation whose trajectories the caller may see (None: all)."""
    return principal.org if principal.role == "supporter" else None


# -- trajectories ------------------------------------------------------------------------


@router.get("/trajectories", response_model=list[TrajectoryOut])
async def list_trajectories(
    principal: Reader, ctx: Ctx,
    status: Annotated[Literal["open", "completed"] | None, Query()] = None,
    member_id: Annotated[str | None, Query(description="coordinator only")] = None,
) -> list[TrajectoryOut]:
    """The werklijst: what needs attention first (escalated or open signals, overdue
    check-ins, a crisis …), then by the next due check-in."""
    scope = _scope(principal) or member_id
    async with ctx.new_uow() as uow:
        listed = await trajectories_by_attention(uow, member_id=scope, now=ctx.now,
                                                 today=ctx.today)
    if status is not None:
        listed = [t for t in listed if t.is_completed == (status == "completed")]
    return [_summary(t, ctx) for t in listed]


@router.get("/trajectories/{trajectory_id}", response_model=TrajectoryDetailOut)
async def get_trajectory(
    trajectory_id: UUID, principal: Reader, ctx: Ctx
) -> TrajectoryDetailOut:
    with refusals():
        async with ctx.new_uow() as uow:
            trajectory = await trajectory_for(uow, str(trajectory_id),
                                              member_id=_scope(principal))
    return _detail(trajectory, principal, ctx)


@router.post("/trajectories/{trajectory_id}/checkins", status_code=201,
             response_model=CheckInOut)
async def post_checkin(
    trajectory_id: UUID, body: CheckInIn, principal: Supporter, ctx: Ctx
) -> CheckInOut:
    with refusals():
        async with ctx.new_uow() as uow:
            recorded = await record_checkin(
                uow, trajectory_id=str(trajectory_id), member_id=principal.org,
                supporter=principal.sub, held_on=body.held_on,
                status=CheckInStatus(body.status),
                scores={LifeDomain(k): v for k, v in body.scores.items()},
                agreed_actions=body.agreed_actions, private_notes=body.private_notes,
                now=ctx.now, today=ctx.today,
            )
    return CheckInOut(
        checkin_id=UUID(recorded.checkin_id), held_on=recorded.held_on,
        status=recorded.status.value, fulfils_month=recorded.fulfils_month,
        scores=dict(body.scores), agreed_actions=body.agreed_actions,
        private_notes=body.private_notes,
    )


@router.post("/trajectories/{trajectory_id}/complete", response_model=TrajectoryDetailOut)
async def post_completion(
    trajectory_id: UUID, body: CompletionIn, principal: Supporter, ctx: Ctx
) -> TrajectoryDetailOut:
    """Afsluiting with the outcome; an intermediary contract may become due for omklap."""
    with refusals():
        async with ctx.new_uow() as uow:
            trajectory = await complete_trajectory(
                uow, trajectory_id=str(trajectory_id), member_id=principal.org,
                supporter=principal.sub, outcome=Outcome(body.outcome), now=ctx.now,
                today=ctx.today,
            )
    return _detail(trajectory, principal, ctx)


@router.post("/trajectories/{trajectory_id}/extend", response_model=TrajectoryDetailOut)
async def post_extension(
    trajectory_id: UUID, body: ExtensionIn, principal: Supporter, ctx: Ctx
) -> TrajectoryDetailOut:
    """Verlenging beyond the agreed length, with a reason (which stays here)."""
    with refusals():
        async with ctx.new_uow() as uow:
            trajectory = await extend_trajectory(
                uow, trajectory_id=str(trajectory_id), member_id=principal.org,
                supporter=principal.sub, months=body.months, reason=body.reason.strip(),
                now=ctx.now, today=ctx.today,
            )
    return _detail(trajectory, principal, ctx)


# -- vroegsignalering --------------------------------------------------------------------


@router.post("/signals", status_code=201, response_model=SignalOut)
async def post_signal(body: SignalIn, principal: Corporation, ctx: Ctx) -> SignalOut:
    """A corporation's early-warning signal, routed to the open trajectory of the tenancy."""
    with refusals():
        async with ctx.new_uow() as uow:
            trajectory, signal = await raise_signal(
                uow, corporation_id=principal.org, reporter=principal.sub,
                kind=SignalKind(body.kind), months_owed=body.months_owed,
                description=body.description.strip(),
                home_id=str(body.home_id) if body.home_id else None,
                trajectory_id=str(body.trajectory_id) if body.trajectory_id else None,
                now=ctx.now, today=ctx.today,
            )
    return _signal_out(signal, trajectory, ctx.now, with_description=True)


@router.post("/signals/{signal_id}/acknowledge", response_model=SignalOut)
async def post_acknowledgement(
    signal_id: UUID, principal: Supporter, ctx: Ctx
) -> SignalOut:
    """The supporter picks the signal up; it will not escalate (any more)."""
    with refusals():
        async with ctx.new_uow() as uow:
            trajectory, signal = await acknowledge_signal(
                uow, signal_id=str(signal_id), member_id=principal.org,
                supporter=principal.sub, now=ctx.now,
            )
    return _signal_out(signal, trajectory, ctx.now, with_description=True)


@router.get("/signals", response_model=list[SignalOut])
async def list_signals(principal: SignalReader, ctx: Ctx) -> list[SignalOut]:
    """A corporation: the signals it raised and whether they were picked up. A supporter:
    the signals on its organisation's trajectories. The coordinator: all, without text."""
    corporation = principal.org if principal.role == "corporation" else None
    async with ctx.new_uow() as uow:
        listed = await signal_listing(uow.session, corporation_id=corporation,
                                      member_id=_scope(principal))
    return [
        _signal_fields(s.signal, ctx.now, trajectory_id=s.trajectory_id, home_id=s.home_id,
                       member_id=s.member_id, corporation_id=s.corporation_id,
                       with_description=principal.role != "coordinator")
        for s in listed
    ]


# -- returns to homelessness -------------------------------------------------------------


@router.get("/returns", response_model=ReturnsOut)
async def get_returns(
    _: Coordinator, ctx: Ctx,
    member_id: Annotated[str | None, Query(description="one member organisation only")] = None,
) -> ReturnsOut:
    """Returns to homelessness per cohort (year of tenancy start): a new intake for the same
    client within 12 and 24 months (HUD SPM 2). A young cohort's figures are provisional."""
    async with ctx.new_uow() as uow:
        cohorts = await returns_per_cohort(uow, as_of=ctx.today, member_id=member_id)
    return ReturnsOut(as_of=ctx.today, member_id=member_id, cohorts=[
        CohortOut(
            cohort_year=c.cohort_year, housed=c.housed,
            returned_within_12_months=c.returned_within_12_months,
            returned_within_24_months=c.returned_within_24_months,
            rate_within_12_months=float(c.rate_within_12_months),
            rate_within_24_months=float(c.rate_within_24_months),
            final_12_months=c.final_12_months, final_24_months=c.final_24_months,
        )
        for c in cohorts
    ])


# -- responses ---------------------------------------------------------------------------


def _summary_fields(t: AftercareTrajectory, ctx: Context) -> dict[str, object]:
    last = t.last_checkin_status
    return dict(
        trajectory_id=UUID(t.trajectory_id), case_id=UUID(t.case_id), client_ref=t.client_ref,
        member_id=t.member_id, corporation_id=t.corporation_id, home_id=UUID(t.home_id),
        tenancy_start=t.tenancy_start, ends_on=t.ends_on, status=t.status.value,
        outcome=t.outcome.value if t.outcome else None,
        attention=attention_tier(t, now=ctx.now, today=ctx.today).name.lower(),
        next_due_on=t.next_due_on(), overdue_checkins=len(t.overdue_checkins(ctx.today)),
        open_signals=len(t.open_signals), last_checkin_status=last.value if last else None,
    )


def _summary(t: AftercareTrajectory, ctx: Context) -> TrajectoryOut:
    return TrajectoryOut.model_validate(_summary_fields(t, ctx))


def _detail(t: AftercareTrajectory, principal: Principal, ctx: Context) -> TrajectoryDetailOut:
    own = principal.role == "supporter" and principal.org == t.member_id
    schedule = t.due_checkins()
    fulfils = {d.fulfilled_by: d.month for d in schedule if d.fulfilled_by}
    contract = t.contract.type.value + (
        f" (omklap after {t.contract.omklap_after_months} months)"
        if t.contract.omklap_after_months else ""
    )
    return TrajectoryDetailOut.model_validate({
        **_summary_fields(t, ctx),
        "contract": contract,
        "schedule": [
            DueCheckInOut(month=d.month, due_on=d.due_on, overdue_from=d.overdue_from,
                          status=d.status.value, overdue=d.is_overdue(ctx.today),
                          fulfilled_on=d.fulfilled_on)
            for d in schedule
        ],
        "checkins": [
            CheckInOut(
                checkin_id=UUID(c.checkin_id), held_on=c.held_on, status=c.status.value,
                fulfils_month=fulfils.get(c.checkin_id),
                scores={k.value: v for k, v in c.scores.items()} if own else None,
                agreed_actions=list(c.agreed_actions) if own else None,
                private_notes=c.private_notes if own else None,
            )
            for c in sorted(t.checkins, key=lambda c: c.held_on)
        ],
        "signals": [_signal_out(s, t, ctx.now, with_description=own) for s in t.signals],
        "extensions": [
            ExtensionOut(months=e.months, granted_on=e.granted_on,
                         reason=e.reason if own else None)
            for e in t.extensions
        ],
        "completed_on": t.completion.completed_on if t.completion else None,
        "duration_days": t.duration_days,
        "conversion_due_on": t.conversion_due_on,
    })


def _signal_out(
    signal: Signal, t: AftercareTrajectory, now: datetime, *, with_description: bool
) -> SignalOut:
    return _signal_fields(
        signal, now, trajectory_id=UUID(t.trajectory_id), home_id=UUID(t.home_id),
        member_id=t.member_id, corporation_id=t.corporation_id,
        with_description=with_description,
    )


def _signal_fields(
    signal: Signal, now: datetime, *, trajectory_id: UUID, home_id: UUID, member_id: str,
    corporation_id: str, with_description: bool,
) -> SignalOut:
    status: Literal["open", "escalated", "picked_up"] = (
        "picked_up" if not signal.is_open
        else "escalated" if signal.is_escalated(now) else "open"
    )
    return SignalOut(
        signal_id=UUID(signal.signal_id), trajectory_id=trajectory_id, home_id=home_id,
        member_id=member_id, corporation_id=corporation_id, kind=signal.kind.value,
        months_owed=signal.months_owed, raised_at=signal.raised_at,
        escalates_at=signal.escalates_at, status=status, picked_up=not signal.is_open,
        acknowledged_at=signal.acknowledged_at, escalated_at=signal.escalated_at,
        description=signal.description if with_description else None,
    )
