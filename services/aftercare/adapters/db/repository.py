"""The trajectory aggregate in PostgreSQL (SQLAlchemy Core), and the log of intakes seen.

`get(..., lock=True)` takes the trajectory's row FOR UPDATE, so two changes to one trajectory
(a check-in and the overdue sweep, say) happen one after the other and append their events in
that order. Check-ins are immutable and inserted once; signals are upserted.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.aftercare.adapters.db.tables import checkins, intakes, returns, signals, trajectories
from services.aftercare.application.contracts import contract_from_terms
from services.aftercare.application.ports import OverdueScan, ReturnFound, SeenIntake, SignalRef
from services.aftercare.domain.checkin import CheckIn, CheckInStatus, LifeDomain
from services.aftercare.domain.outcomes import Completion, Extension, Outcome
from services.aftercare.domain.policy import AftercarePolicy
from services.aftercare.domain.signals import Signal, SignalKind
from services.aftercare.domain.trajectory import DEFAULT_POLICY, AftercareTrajectory

Row = Any  # a SQLAlchemy Row; attribute access by column name


class SqlTrajectoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._stored_checkins: dict[str, set[str]] = defaultdict(set)
        self._stored_signals: dict[str, set[str]] = defaultdict(set)

    # -- writing -------------------------------------------------------------------------

    async def add(self, trajectory: AftercareTrajectory, *, by: str, at: datetime) -> None:
        c = trajectory.contract
        await self._session.execute(sa.insert(trajectories).values(
            trajectory_id=uuid.UUID(trajectory.trajectory_id),
            case_id=uuid.UUID(trajectory.case_id), client_ref=trajectory.client_ref,
            member_id=trajectory.member_id, corporation_id=trajectory.corporation_id,
            home_id=uuid.UUID(trajectory.home_id), tenancy_start=trajectory.tenancy_start,
            contract={"type": c.type.value, "omklap_after_months": c.omklap_after_months},
            policy=_policy_json(trajectory.policy), opened_at=at,
            **_changing_columns(trajectory),
        ))
        await self._write_children(trajectory, by=by, at=at)

    async def save(self, trajectory: AftercareTrajectory, *, by: str, at: datetime) -> None:
        # the SET clause: the columns named by the parameters
        await self._session.execute(_SAVE, {
            "target": uuid.UUID(trajectory.trajectory_id), **_changing_columns(trajectory)})
        await self._write_children(trajectory, by=by, at=at)

    async def _write_children(
        self, trajectory: AftercareTrajectory, *, by: str, at: datetime
    ) -> None:
        tid = trajectory.trajectory_id
        stored = self._stored_checkins[tid]
        new = [c for c in trajectory.checkins if c.checkin_id not in stored]
        if new:  # in recording order, so `seq` keeps it
            await self._session.execute(sa.insert(checkins), [
                _checkin_row(tid, checkin, by=by, at=at) for checkin in new
            ])
            stored.update(c.checkin_id for c in new)
        for signal in trajectory.signals:
            await self._write_signal(trajectory, signal, by=by)

    async def _write_signal(self, trajectory: AftercareTrajectory, signal: Signal, *,
                            by: str) -> None:
        changing = {"acknowledged_at": signal.acknowledged_at,
                    "acknowledged_by": signal.acknowledged_by,
                    "escalated_at": signal.escalated_at}
        stored = self._stored_signals[trajectory.trajectory_id]
        if signal.signal_id in stored:
            await self._session.execute(
                sa.update(signals).where(signals.c.signal_id == uuid.UUID(signal.signal_id))
                .values(**changing)
            )
            return
        await self._session.execute(insert(signals).values(
            signal_id=uuid.UUID(signal.signal_id),
            trajectory_id=uuid.UUID(trajectory.trajectory_id),
            corporation_id=trajectory.corporation_id, kind=signal.kind.value,
            months_owed=signal.months_owed, description=signal.description, raised_by=by,
            raised_at=signal.raised_at, escalates_at=signal.escalates_at, **changing,
        ))
        stored.add(signal.signal_id)

    # -- reading -------------------------------------------------------------------------

    async def get(self, trajectory_id: str, *, lock: bool = False) -> AftercareTrajectory | None:
        """The trajectory and its check-ins in one statement, its signals in a second only
        when it has any (most have none): recording a check-in costs fewer round trips."""
        try:
            key = uuid.UUID(trajectory_id)
        except ValueError:
            return None
        rows = (await self._session.execute(
            _LOCK_TRAJECTORY if lock else _TRAJECTORY, {"key": key})).all()
        if not rows:
            return None
        head = rows[0]
        signal_rows: Iterable[Row] = ()
        if head.has_signals:
            signal_rows = await self._session.execute(_SIGNALS_OF, {"key": key})
        return self._built(head, [_checkin(r, "c_") for r in rows if r.c_checkin_id],
                           [signal_from_row(s) for s in signal_rows])

    async def exists_for_case(self, case_id: str) -> bool:
        found = await self._session.execute(
            sa.select(sa.literal(1)).where(trajectories.c.case_id == uuid.UUID(case_id))
        )
        return found.first() is not None

    async def for_home(self, home_id: str, corporation_id: str) -> Sequence[str]:
        try:
            home = uuid.UUID(home_id)
        except ValueError:
            return []
        rows = await self._session.execute(
            sa.select(trajectories.c.trajectory_id)
            .where(trajectories.c.home_id == home,
                   trajectories.c.corporation_id == corporation_id)
            .order_by(trajectories.c.tenancy_start.desc())
        )
        return [str(r.trajectory_id) for r in rows]

    async def listing(
        self, *, member_id: str | None = None, open_only: bool = False
    ) -> Sequence[AftercareTrajectory]:
        query = sa.select(trajectories).order_by(trajectories.c.tenancy_start)
        if member_id is not None:
            query = query.where(trajectories.c.member_id == member_id)
        if open_only:
            query = query.where(trajectories.c.status != "completed")
        return await self._assemble((await self._session.execute(query)).all())

    async def overdue_scan(self, today: date) -> OverdueScan:
        """From the dates stored on every write, without reading the trajectories: the overdue
        check-ins per member with open trajectories, and which trajectories have an alert to
        send. Trajectories written before those dates were stored are read whole."""
        counted = await self._session.execute(_OVERDUE_PER_MEMBER, {"today": today})
        per_member: Counter[str] = Counter({m: int(n) for m, n in counted})
        to_alert = [str(r) for r in await self._session.scalars(
            _TO_ALERT, {"today": today})]
        older = await self._assemble((await self._session.execute(_WITHOUT_DATES)).all())
        for trajectory in older:
            overdue = trajectory.overdue_checkins(today)
            per_member[trajectory.member_id] += len(overdue)
            if any(not d.alerted for d in overdue):
                to_alert.append(trajectory.trajectory_id)
        return OverdueScan(dict(per_member), to_alert)

    async def with_unanswered_signals(self, now: datetime) -> Sequence[str]:
        rows = await self._session.execute(_WITH_UNANSWERED_SIGNALS, {"now": now})
        return [str(r.trajectory_id) for r in rows]

    async def signal(self, signal_id: str) -> SignalRef | None:
        try:
            key = uuid.UUID(signal_id)
        except ValueError:
            return None
        row = (await self._session.execute(
            sa.select(signals.c.trajectory_id, signals.c.corporation_id)
            .where(signals.c.signal_id == key)
        )).one_or_none()
        if row is None:
            return None
        return SignalRef(signal_id, str(row.trajectory_id), row.corporation_id)

    async def _assemble(self, rows: Sequence[Row]) -> list[AftercareTrajectory]:
        if not rows:
            return []
        ids = [r.trajectory_id for r in rows]
        checkin_rows = await self._session.execute(
            sa.select(checkins).where(checkins.c.trajectory_id.in_(ids)).order_by(checkins.c.seq)
        )
        signal_rows = await self._session.execute(
            sa.select(signals).where(signals.c.trajectory_id.in_(ids)).order_by(signals.c.seq)
        )
        by_trajectory: dict[uuid.UUID, list[CheckIn]] = defaultdict(list)
        for c in checkin_rows:
            by_trajectory[c.trajectory_id].append(_checkin(c))
        signals_of: dict[uuid.UUID, list[Signal]] = defaultdict(list)
        for s in signal_rows:
            signals_of[s.trajectory_id].append(signal_from_row(s))
        return [self._built(row, by_trajectory[row.trajectory_id], signals_of[row.trajectory_id])
                for row in rows]

    def _built(self, row: Row, checkin_list: list[CheckIn],
               signal_list: list[Signal]) -> AftercareTrajectory:
        """The aggregate from its rows, remembering which children are stored already."""
        trajectory = _trajectory(row, checkin_list, signal_list)
        tid = trajectory.trajectory_id
        self._stored_checkins[tid] = {c.checkin_id for c in trajectory.checkins}
        self._stored_signals[tid] = {s.signal_id for s in trajectory.signals}
        return trajectory


# -- rows ↔ domain -----------------------------------------------------------------------


def _changing_columns(trajectory: AftercareTrajectory) -> dict[str, Any]:
    completion = trajectory.completion
    return {
        "status": trajectory.status.value,
        "ends_on": trajectory.ends_on,
        "outcome": completion.outcome.value if completion else None,
        "completed_on": completion.completed_on if completion else None,
        "state": {
            "extensions": [
                {"months": e.months, "reason": e.reason, "granted_on": e.granted_on.isoformat()}
                for e in trajectory.extensions
            ],
            "alerted_due_dates": sorted(d.isoformat() for d in trajectory.alerted_due_dates),
        },
        "overdue_dates": list(trajectory.overdue_dates()),
        "next_alert_on": trajectory.next_alert_on(),
    }


def _policy_json(policy: AftercarePolicy) -> dict[str, Any]:
    fields = dataclasses.asdict(policy)
    fields["checkin_months"] = list(policy.checkin_months)
    return fields


def _policy(stored: dict[str, Any] | None) -> AftercarePolicy:
    if not stored:  # opened before policies were stored: the default of that time
        return DEFAULT_POLICY
    return AftercarePolicy(**{**stored, "checkin_months": tuple(stored["checkin_months"])})


def _trajectory(row: Row, checkin_list: Iterable[CheckIn],
                signal_list: Iterable[Signal]) -> AftercareTrajectory:
    state = row.state or {}
    return AftercareTrajectory(
        trajectory_id=str(row.trajectory_id), case_id=str(row.case_id),
        client_ref=row.client_ref, member_id=row.member_id,
        corporation_id=row.corporation_id, home_id=str(row.home_id),
        tenancy_start=row.tenancy_start,
        contract=contract_from_terms(row.contract["type"],
                                     row.contract.get("omklap_after_months")),
        policy=_policy(row.policy),
        checkins=checkin_list,
        signals=signal_list,
        extensions=[
            Extension(months=e["months"], reason=e["reason"],
                      granted_on=date.fromisoformat(e["granted_on"]))
            for e in state.get("extensions", [])
        ],
        alerted_due_dates=[date.fromisoformat(d) for d in state.get("alerted_due_dates", [])],
        completion=(Completion(Outcome(row.outcome), row.completed_on)
                    if row.outcome and row.completed_on else None),
    )


def _checkin_row(trajectory_id: str, checkin: CheckIn, *, by: str, at: datetime) -> dict[str, Any]:
    return {
        "checkin_id": uuid.UUID(checkin.checkin_id), "trajectory_id": uuid.UUID(trajectory_id),
        "held_on": checkin.held_on, "status": checkin.status.value,
        "scores": {domain.value: score for domain, score in checkin.scores.items()},
        "agreed_actions": list(checkin.agreed_actions), "private_notes": checkin.private_notes,
        "recorded_by": by, "recorded_at": at,
    }


def _checkin(row: Row, prefix: str = "") -> CheckIn:
    """A check-in from its row (or from its columns labelled with ``prefix`` in a join)."""
    m = row._mapping
    return CheckIn(
        checkin_id=str(m[prefix + "checkin_id"]), held_on=m[prefix + "held_on"],
        status=CheckInStatus(m[prefix + "status"]),
        scores={LifeDomain(k): v for k, v in m[prefix + "scores"].items()},
        agreed_actions=tuple(m[prefix + "agreed_actions"]),
        private_notes=m[prefix + "private_notes"],
    )


# `get` reads a trajectory and its check-ins in one statement: the check-in's columns under
# their own names, and whether the trajectory has signals to read at all.
_CHECKIN_COLUMNS = [checkins.c[name].label(f"c_{name}") for name in (
    "checkin_id", "held_on", "status", "scores", "agreed_actions", "private_notes")]
_HAS_SIGNALS = sa.exists().where(
    signals.c.trajectory_id == trajectories.c.trajectory_id).label("has_signals")

# A trajectory's statements (every check-in, signal and sweep alert), built once
# (shared/db.py, "Statements built once").
_TRAJECTORY = (
    sa.select(trajectories, _HAS_SIGNALS, *_CHECKIN_COLUMNS)
    .select_from(trajectories.outerjoin(
        checkins, checkins.c.trajectory_id == trajectories.c.trajectory_id))
    .where(trajectories.c.trajectory_id == sa.bindparam("key")).order_by(checkins.c.seq))
_LOCK_TRAJECTORY = _TRAJECTORY.with_for_update(of=trajectories)
_SIGNALS_OF = (sa.select(signals).where(signals.c.trajectory_id == sa.bindparam("key"))
               .order_by(signals.c.seq))
_SAVE = sa.update(trajectories).where(trajectories.c.trajectory_id == sa.bindparam("target"))

# Every IntakeSubmitted (a return to homelessness is found among them): remembered, and the
# client's tenancies read in the same round trip (see `SqlIntakeLog.remember`).
_remembered = (insert(intakes).values(
    case_id=sa.bindparam("case_id", type_=intakes.c.case_id.type),
    client_ref=sa.bindparam("client_ref", type_=intakes.c.client_ref.type),
    member_id=sa.bindparam("member_id", type_=intakes.c.member_id.type),
    submitted_on=sa.bindparam("submitted_on", type_=intakes.c.submitted_on.type),
).on_conflict_do_nothing().returning(intakes.c.case_id).cte("remembered"))
_REMEMBER_INTAKE = sa.select(
    sa.select(sa.func.count()).select_from(_remembered).scalar_subquery().label("new"),
    sa.select(sa.func.array_agg(aggregate_order_by(
        trajectories.c.trajectory_id, trajectories.c.tenancy_start)))
    .where(trajectories.c.client_ref == sa.bindparam(
        "client_ref", type_=intakes.c.client_ref.type))
    .scalar_subquery().label("tenancies"),
)


def signal_from_row(row: Row) -> Signal:
    return Signal(
        signal_id=str(row.signal_id), kind=SignalKind(row.kind), raised_at=row.raised_at,
        escalates_at=row.escalates_at, months_owed=row.months_owed,
        description=row.description, acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by, escalated_at=row.escalated_at,
    )


class SqlIntakeLog:
    """IntakeSubmitted events seen (pseudonymous) and the returns they made."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, intake: SeenIntake) -> Sequence[str] | None:
        """One statement, not two: every intake asks both, and on a burst of intakes the
        second round trip was a third of what aftercare's consumer did per intake. The
        tenancies are read in the same snapshot as before the insert, which cannot change
        them (an intake is not a tenancy)."""
        row = (await self._session.execute(_REMEMBER_INTAKE, {
            "case_id": uuid.UUID(intake.case_id), "client_ref": intake.client_ref,
            "member_id": intake.member_id, "submitted_on": intake.submitted_on})).one()
        if not row.new:
            return None
        return [str(trajectory_id) for trajectory_id in row.tenancies or ()]

    async def of_clients(self, client_refs: Collection[str]) -> Sequence[SeenIntake]:
        if not client_refs:
            return []
        rows = await self._session.execute(
            sa.select(intakes).where(intakes.c.client_ref.in_(list(client_refs)))
        )
        return [SeenIntake(str(r.case_id), r.client_ref, r.member_id, r.submitted_on)
                for r in rows]

    async def has_return(self, trajectory_id: str) -> bool:
        found = await self._session.execute(
            sa.select(sa.literal(1))
            .where(returns.c.trajectory_id == uuid.UUID(trajectory_id))
        )
        return found.first() is not None

    async def record_return(self, found: ReturnFound, *, now: datetime) -> None:
        await self._session.execute(sa.insert(returns).values(
            trajectory_id=uuid.UUID(found.trajectory.trajectory_id),
            intake_case_id=uuid.UUID(found.intake.case_id),
            returned_on=found.intake.submitted_on,
            days_after_tenancy=found.window.days_after_tenancy_start,
            bucket=found.window.bucket.value, detected_at=now,
        ))


# The periodic sweeps' statements (twice a second in a simulation), built once (shared/db.py,
# "Statements built once").
_open = trajectories.c.status != "completed"
_due = sa.func.unnest(trajectories.c.overdue_dates).table_valued("day").render_derived()
_today = sa.bindparam("today", type_=sa.Date)
_OVERDUE_PER_MEMBER = (
    sa.select(trajectories.c.member_id, sa.func.count(_due.c.day).filter(_due.c.day <= _today))
    .select_from(trajectories.outerjoin(_due, sa.true()))
    .where(_open, trajectories.c.overdue_dates.is_not(None))
    .group_by(trajectories.c.member_id))
_TO_ALERT = (sa.select(trajectories.c.trajectory_id)
             .where(_open, trajectories.c.next_alert_on <= _today)
             .order_by(trajectories.c.next_alert_on))
_WITHOUT_DATES = sa.select(trajectories).where(_open, trajectories.c.overdue_dates.is_(None))
_WITH_UNANSWERED_SIGNALS = (
    sa.select(signals.c.trajectory_id).distinct()
    .join(trajectories, trajectories.c.trajectory_id == signals.c.trajectory_id)
    .where(signals.c.acknowledged_at.is_(None), signals.c.escalated_at.is_(None),
           signals.c.escalates_at <= sa.bindparam("now", type_=signals.c.escalates_at.type),
           _open))
