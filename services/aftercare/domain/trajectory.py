"""The aftercare trajectory (nazorgtraject): one year of ambulante nazorg after moving in.

The aggregate holds everything that must stay consistent for one tenancy: its schedule and
check-ins, the vroegsignalering signals, extensions and the closing. Commands check the rules,
change state and record domain events; the application saves the trajectory and publishes
``pull_events()`` through the outbox in one transaction. Time is always passed in.
"""

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import TypedDict

from services.aftercare.domain.checkin import CheckIn, CheckInStatus
from services.aftercare.domain.errors import (
    CheckInBeforeTenancyStartError,
    CheckInInFutureError,
    DuplicateCheckInError,
    DuplicateSignalError,
    InvalidDateError,
    TrajectoryCompletedError,
    UnknownSignalError,
)
from services.aftercare.domain.events import (
    AftercareCompleted,
    AftercareEvent,
    AftercareExtended,
    AftercareOpened,
    CheckInOverdue,
    CheckInRecorded,
    ContractConversionDue,
    SignalAcknowledged,
    SignalEscalated,
    SignalRaised,
)
from services.aftercare.domain.outcomes import (
    Completion,
    Contract,
    Extension,
    Outcome,
    aftercare_duration_days,
    conversion_due_on,
)
from services.aftercare.domain.policy import AftercarePolicy
from services.aftercare.domain.schedule import (
    DueCheckIn,
    DueStatus,
    add_months,
    build_schedule,
    checkin_months,
    resolve_schedule,
)
from services.aftercare.domain.signals import Signal, SignalKind, new_signal

DEFAULT_POLICY = AftercarePolicy()


class _EventIds(TypedDict):
    trajectory_id: str
    case_id: str


class TrajectoryStatus(StrEnum):
    """Open during the agreed length, extended after a verlenging, completed once closed."""

    OPEN = "open"
    EXTENDED = "extended"
    COMPLETED = "completed"


class AftercareTrajectory:
    """One tenancy's aftercare. Build a new one with :meth:`open`; the constructor reloads."""

    def __init__(
        self,
        *,
        trajectory_id: str,
        case_id: str,
        client_ref: str,
        member_id: str,
        corporation_id: str,
        home_id: str,
        tenancy_start: date,
        contract: Contract,
        policy: AftercarePolicy = DEFAULT_POLICY,
        checkins: Iterable[CheckIn] = (),
        signals: Iterable[Signal] = (),
        extensions: Iterable[Extension] = (),
        alerted_due_dates: Iterable[date] = (),
        completion: Completion | None = None,
    ) -> None:
        self.trajectory_id = trajectory_id
        self.case_id = case_id
        self.client_ref = client_ref  # pseudonymous; the name lives in intake only
        self.member_id = member_id
        self.corporation_id = corporation_id
        self.home_id = home_id
        self.tenancy_start = tenancy_start
        self.contract = contract
        self.policy = policy
        self._checkins = list(checkins)
        self._signals = {signal.signal_id: signal for signal in signals}
        self._extensions = list(extensions)
        self._alerted = set(alerted_due_dates)
        self._completion = completion
        self._events: list[AftercareEvent] = []

    @classmethod
    def open(
        cls,
        *,
        trajectory_id: str,
        case_id: str,
        client_ref: str,
        member_id: str,
        corporation_id: str,
        home_id: str,
        tenancy_start: date,
        contract: Contract,
        policy: AftercarePolicy = DEFAULT_POLICY,
    ) -> "AftercareTrajectory":
        """Open the trajectory on a tenancy start (TenancyStarted)."""
        trajectory = cls(
            trajectory_id=trajectory_id,
            case_id=case_id,
            client_ref=client_ref,
            member_id=member_id,
            corporation_id=corporation_id,
            home_id=home_id,
            tenancy_start=tenancy_start,
            contract=contract,
            policy=policy,
        )
        trajectory._record(
            AftercareOpened(
                **trajectory._ids(),
                member_id=member_id,
                client_ref=client_ref,
                tenancy_start=tenancy_start,
                ends_on=trajectory.ends_on,
            )
        )
        return trajectory

    # -- state ---------------------------------------------------------------------------

    @property
    def status(self) -> TrajectoryStatus:
        if self._completion is not None:
            return TrajectoryStatus.COMPLETED
        return TrajectoryStatus.EXTENDED if self._extensions else TrajectoryStatus.OPEN

    @property
    def is_completed(self) -> bool:
        return self._completion is not None

    @property
    def length_months(self) -> int:
        """Agreed length plus every extension."""
        return self.policy.length_months + sum(ext.months for ext in self._extensions)

    @property
    def ends_on(self) -> date:
        """Planned end: the tenancy start plus the length, in calendar months."""
        return add_months(self.tenancy_start, self.length_months)

    @property
    def checkins(self) -> tuple[CheckIn, ...]:
        return tuple(self._checkins)

    @property
    def signals(self) -> tuple[Signal, ...]:
        return tuple(self._signals.values())

    @property
    def open_signals(self) -> tuple[Signal, ...]:
        return tuple(signal for signal in self._signals.values() if signal.is_open)

    @property
    def extensions(self) -> tuple[Extension, ...]:
        return tuple(self._extensions)

    @property
    def alerted_due_dates(self) -> frozenset[date]:
        """Due dates whose overdue alert has gone out (each is alerted once)."""
        return frozenset(self._alerted)

    @property
    def completion(self) -> Completion | None:
        return self._completion

    @property
    def outcome(self) -> Outcome | None:
        return self._completion.outcome if self._completion else None

    @property
    def duration_days(self) -> int | None:
        """Tenancy start → aftercare end in days, once completed."""
        if self._completion is None:
            return None
        return aftercare_duration_days(self.tenancy_start, self._completion.completed_on)

    @property
    def last_checkin_status(self) -> CheckInStatus | None:
        """Status of the latest check-in by date (of one day's, the last recorded)."""
        if not self._checkins:
            return None
        # max() keeps the first of equals; reversed, that is the last recorded.
        return max(reversed(self._checkins), key=lambda checkin: checkin.held_on).status

    # -- schedule ------------------------------------------------------------------------

    def due_checkins(self) -> tuple[DueCheckIn, ...]:
        """The whole schedule, each due check-in with its status."""
        months = checkin_months(self.policy, (ext.months for ext in self._extensions))
        return resolve_schedule(
            build_schedule(self.tenancy_start, months, self.policy),
            self._checkins,
            completed_on=self._completion.completed_on if self._completion else None,
            alerted=self._alerted,
        )

    def overdue_checkins(self, today: date) -> tuple[DueCheckIn, ...]:
        """Due check-ins not recorded by due + grace; ``alerted`` tells old from new."""
        return tuple(due for due in self.due_checkins() if due.is_overdue(today))

    def overdue_dates(self) -> tuple[date, ...]:
        """From when each check-in still pending is overdue: ``overdue_checkins(today)`` are
        those from on or before ``today``. Not a function of today, so it can be stored and
        the sweep can count and find what is overdue without reading every trajectory."""
        return tuple(due.overdue_from for due in self.due_checkins()
                     if due.status is DueStatus.PENDING)

    def next_alert_on(self) -> date | None:
        """The first day on which ``alert_overdue_checkins`` has something to alert."""
        return min((due.overdue_from for due in self.due_checkins()
                    if due.status is DueStatus.PENDING and not due.alerted), default=None)

    def next_due_on(self) -> date | None:
        """Earliest due date still waiting for a check-in (overdue ones included)."""
        pending = (due.due_on for due in self.due_checkins() if due.status is DueStatus.PENDING)
        return min(pending, default=None)

    def record_checkin(self, checkin: CheckIn, today: date) -> CheckInRecorded:
        """Record a contact; it fulfils the due check-in whose window holds its date."""
        self._require_not_completed()
        if checkin.held_on < self.tenancy_start:
            raise CheckInBeforeTenancyStartError(
                f"check-in on {checkin.held_on} is before the tenancy start {self.tenancy_start}"
            )
        if checkin.held_on > today:
            raise CheckInInFutureError(f"check-in on {checkin.held_on} has not happened yet")
        if any(known.checkin_id == checkin.checkin_id for known in self._checkins):
            raise DuplicateCheckInError(f"check-in {checkin.checkin_id} is already recorded")
        self._checkins.append(checkin)
        fulfilled = self._due_fulfilled_by(checkin.checkin_id)
        event = CheckInRecorded(
            **self._ids(),
            checkin_id=checkin.checkin_id,
            held_on=checkin.held_on,
            status=checkin.status,
            fulfils_month=fulfilled.month if fulfilled else None,
            due_on=fulfilled.due_on if fulfilled else None,
        )
        self._record(event)
        return event

    def alert_overdue_checkins(self, today: date) -> tuple[DueCheckIn, ...]:
        """Command: the check-ins that became overdue since the last call, marked alerted.

        Each missed due date is returned (and a CheckInOverdue recorded) exactly once, so the
        adapter publishes one alert per missed check-in however often the sweep runs.
        """
        fresh = tuple(due for due in self.overdue_checkins(today) if not due.alerted)
        for due in fresh:
            self._alerted.add(due.due_on)
            self._record(
                CheckInOverdue(
                    **self._ids(),
                    member_id=self.member_id,
                    month=due.month,
                    due_on=due.due_on,
                    overdue_from=due.overdue_from,
                )
            )
        return fresh

    def _due_fulfilled_by(self, checkin_id: str) -> DueCheckIn | None:
        return next((d for d in self.due_checkins() if d.fulfilled_by == checkin_id), None)

    # -- vroegsignalering ----------------------------------------------------------------

    def raise_signal(
        self,
        *,
        signal_id: str,
        kind: SignalKind,
        raised_at: datetime,
        raised_on: date,
        months_owed: int | None = None,
        description: str = "",
    ) -> Signal:
        """Route a corporation's early-warning signal to this trajectory.

        ``raised_on`` is the region's calendar day of ``raised_at`` (the tenancy start is a
        Dutch date: in the evening UTC is still on yesterday)."""
        self._require_not_completed()
        if signal_id in self._signals:
            raise DuplicateSignalError(f"signal {signal_id} is already on this trajectory")
        signal = new_signal(
            signal_id=signal_id,
            kind=kind,
            raised_at=raised_at,
            escalation_days=self.policy.escalation_days,
            months_owed=months_owed,
            description=description,
        )
        if raised_on < self.tenancy_start:
            raise InvalidDateError("a signal cannot predate the tenancy start")
        self._signals[signal_id] = signal
        self._record(
            SignalRaised(
                **self._ids(),
                signal_id=signal_id,
                kind=kind,
                months_owed=months_owed,
                raised_at=raised_at,
                escalates_at=signal.escalates_at,
            )
        )
        return signal

    def acknowledge_signal(self, signal_id: str, *, by: str, now: datetime) -> Signal:
        """The supporter picks the signal up; it no longer escalates."""
        self._require_not_completed()
        signal = self._signal(signal_id).acknowledged(by, now)
        self._signals[signal_id] = signal
        self._record(SignalAcknowledged(**self._ids(), signal_id=signal_id, acknowledged_at=now))
        return signal

    def signals_to_escalate(self, now: datetime) -> tuple[Signal, ...]:
        """Command: open signals past their escalation moment, each returned only once.

        They are marked escalated and a SignalEscalated is recorded for each. A completed
        trajectory escalates nothing: aftercare has ended and the coordinator saw the outcome.
        """
        if self.is_completed:
            return ()
        due = [signal for signal in self._signals.values() if signal.is_due_for_escalation(now)]
        for signal in due:
            self._signals[signal.signal_id] = signal.escalated(now)
            self._record(
                SignalEscalated(
                    **self._ids(),
                    member_id=self.member_id,
                    signal_id=signal.signal_id,
                    kind=signal.kind,
                    raised_at=signal.raised_at,
                    escalated_at=now,
                )
            )
        return tuple(self._signals[signal.signal_id] for signal in due)

    def _signal(self, signal_id: str) -> Signal:
        try:
            return self._signals[signal_id]
        except KeyError:
            raise UnknownSignalError(f"no signal {signal_id} on this trajectory") from None

    # -- extension and closing -----------------------------------------------------------

    def extend(self, *, months: int, reason: str, today: date) -> Extension:
        """Verlenging: continue aftercare ``months`` beyond the current end, for ``reason``."""
        self._require_not_completed()
        self._require_not_before_start(today)
        extension = Extension(months=months, reason=reason, granted_on=today)
        self._extensions.append(extension)
        self._record(AftercareExtended(**self._ids(), months=months, ends_on=self.ends_on))
        return extension

    def complete(self, outcome: Outcome, today: date) -> Completion:
        """Afsluiting: record the outcome; from now on the trajectory cannot change.

        Allowed at the end of the year or earlier. An intermediary contract with a stable
        outcome becomes due for omklap (ContractConversionDue).
        """
        self._require_not_completed()
        self._require_not_before_start(today)
        self._completion = Completion(outcome=outcome, completed_on=today)
        self._record(
            AftercareCompleted(
                **self._ids(),
                outcome=outcome,
                completed_on=today,
                duration_days=aftercare_duration_days(self.tenancy_start, today),
            )
        )
        self._record_conversion_due()
        return self._completion

    @property
    def conversion_due_on(self) -> date | None:
        """Omklap date: not before the contract's term, and only after a stable closing."""
        return conversion_due_on(self.contract, self.tenancy_start, self._completion)

    def conversion_due(self, today: date) -> bool:
        """Whether the intermediary contract may go to the tenant's own name by ``today``."""
        due_on = self.conversion_due_on
        return due_on is not None and today >= due_on

    def _record_conversion_due(self) -> None:
        due_on = self.conversion_due_on
        if due_on is not None:
            self._record(
                ContractConversionDue(
                    **self._ids(),
                    corporation_id=self.corporation_id,
                    home_id=self.home_id,
                    due_on=due_on,
                )
            )

    # -- events and guards ---------------------------------------------------------------

    def pull_events(self) -> list[AftercareEvent]:
        """Hand over the events recorded since the last pull (for the outbox)."""
        events, self._events = self._events, []
        return events

    def _record(self, event: AftercareEvent) -> None:
        self._events.append(event)

    def _ids(self) -> _EventIds:
        return {"trajectory_id": self.trajectory_id, "case_id": self.case_id}

    def _require_not_completed(self) -> None:
        if self._completion is not None:
            raise TrajectoryCompletedError(f"trajectory {self.trajectory_id} is completed")

    def _require_not_before_start(self, today: date) -> None:
        if today < self.tenancy_start:
            raise InvalidDateError(f"{today} is before the tenancy start {self.tenancy_start}")
