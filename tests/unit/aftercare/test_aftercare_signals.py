"""Vroegsignalering: signals routed to the trajectory, picked up, or escalated once."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.aftercare.domain.errors import (
    DuplicateSignalError,
    InvalidDateError,
    InvalidSignalError,
    SignalAlreadyAcknowledgedError,
    TrajectoryCompletedError,
    UnknownSignalError,
)
from services.aftercare.domain.events import SignalEscalated, SignalRaised
from services.aftercare.domain.outcomes import Contract, ContractType, Outcome
from services.aftercare.domain.policy import AftercarePolicy
from services.aftercare.domain.signals import SignalKind
from services.aftercare.domain.trajectory import AftercareTrajectory

START = date(2025, 1, 15)
RAISED = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)
ESCALATES = RAISED + timedelta(days=5)
MICROSECOND = timedelta(microseconds=1)


def _trajectory(policy: AftercarePolicy | None = None) -> AftercareTrajectory:
    return AftercareTrajectory.open(
        trajectory_id="t1",
        case_id="c1",
        client_ref="ref-1",
        member_id="m01",
        corporation_id="corp1",
        home_id="h1",
        tenancy_start=START,
        contract=Contract(ContractType.OWN_NAME),
        policy=policy or AftercarePolicy(),
    )


def _with_arrears(signal_id: str = "s1") -> AftercareTrajectory:
    trajectory = _trajectory()
    trajectory.raise_signal(
        signal_id=signal_id, kind=SignalKind.RENT_ARREARS, raised_at=RAISED,
        raised_on=RAISED.date(), months_owed=2,
    )
    return trajectory


def test_signal_is_routed_to_the_trajectory_as_open() -> None:
    trajectory = _with_arrears()

    (signal,) = trajectory.open_signals
    assert (signal.kind, signal.months_owed, signal.escalates_at) == (
        SignalKind.RENT_ARREARS,
        2,
        ESCALATES,
    )
    raised = [e for e in trajectory.pull_events() if isinstance(e, SignalRaised)]
    assert [e.signal_id for e in raised] == ["s1"]


def test_unanswered_signal_does_not_escalate_just_before_the_deadline() -> None:
    assert _with_arrears().signals_to_escalate(ESCALATES - MICROSECOND) == ()


def test_unanswered_signal_escalates_exactly_at_the_deadline() -> None:
    escalated = _with_arrears().signals_to_escalate(ESCALATES)

    assert [(s.signal_id, s.escalated_at) for s in escalated] == [("s1", ESCALATES)]


def test_escalated_signal_is_returned_only_once() -> None:
    trajectory = _with_arrears()
    trajectory.signals_to_escalate(ESCALATES)

    assert trajectory.signals_to_escalate(ESCALATES + timedelta(days=3)) == ()
    escalations = [e for e in trajectory.pull_events() if isinstance(e, SignalEscalated)]
    assert [(e.signal_id, e.member_id) for e in escalations] == [("s1", "m01")]


def test_escalation_days_come_from_the_policy() -> None:
    trajectory = _trajectory(AftercarePolicy(escalation_days=2))
    trajectory.raise_signal(signal_id="s1", kind=SignalKind.NUISANCE, raised_at=RAISED,
                            raised_on=RAISED.date())

    assert len(trajectory.signals_to_escalate(RAISED + timedelta(days=2))) == 1


def test_acknowledged_signal_never_escalates() -> None:
    trajectory = _with_arrears()

    trajectory.acknowledge_signal("s1", by="supporter-7", now=RAISED + timedelta(days=1))

    assert trajectory.signals_to_escalate(ESCALATES + timedelta(days=10)) == ()
    assert trajectory.open_signals == ()
    assert trajectory.signals[0].acknowledged_by == "supporter-7"


def test_escalated_signal_can_still_be_picked_up() -> None:
    trajectory = _with_arrears()
    trajectory.signals_to_escalate(ESCALATES)

    signal = trajectory.acknowledge_signal("s1", by="supporter-7", now=ESCALATES)

    assert not signal.is_open
    assert signal.escalated_at == ESCALATES


def test_signal_cannot_be_picked_up_twice() -> None:
    trajectory = _with_arrears()
    trajectory.acknowledge_signal("s1", by="supporter-7", now=RAISED)

    with pytest.raises(SignalAlreadyAcknowledgedError):
        trajectory.acknowledge_signal("s1", by="supporter-8", now=RAISED)


def test_signal_cannot_be_picked_up_before_it_was_raised() -> None:
    with pytest.raises(InvalidDateError):
        _with_arrears().acknowledge_signal("s1", by="x", now=RAISED - MICROSECOND)


def test_picking_up_an_unknown_signal_is_refused() -> None:
    with pytest.raises(UnknownSignalError):
        _trajectory().acknowledge_signal("nope", by="supporter-7", now=RAISED)


@pytest.mark.parametrize("months_owed", [None, 0])
def test_rent_arrears_need_at_least_one_month_owed(months_owed: int | None) -> None:
    with pytest.raises(InvalidSignalError):
        _trajectory().raise_signal(
            signal_id="s1",
            kind=SignalKind.RENT_ARREARS,
            raised_at=RAISED, raised_on=RAISED.date(),
            months_owed=months_owed,
        )


def test_months_owed_only_belongs_to_rent_arrears() -> None:
    with pytest.raises(InvalidSignalError):
        _trajectory().raise_signal(
            signal_id="s1", kind=SignalKind.NUISANCE, raised_at=RAISED, raised_on=RAISED.date(),
            months_owed=1,
        )


def test_signal_on_a_completed_trajectory_is_refused() -> None:
    trajectory = _trajectory()
    trajectory.complete(Outcome.STABLE, today=date(2026, 1, 15))

    with pytest.raises(TrajectoryCompletedError):
        trajectory.raise_signal(signal_id="s1", kind=SignalKind.OTHER, raised_at=RAISED,
                                raised_on=RAISED.date())


def test_completed_trajectory_escalates_nothing() -> None:
    trajectory = _with_arrears()
    trajectory.complete(Outcome.MOVED_ON, today=date(2025, 5, 2))

    assert trajectory.signals_to_escalate(ESCALATES) == ()


def test_signal_ids_are_unique_per_trajectory() -> None:
    with pytest.raises(DuplicateSignalError):
        _with_arrears().raise_signal(signal_id="s1", kind=SignalKind.OTHER, raised_at=RAISED,
                                     raised_on=RAISED.date())


def test_signal_before_the_tenancy_start_is_refused() -> None:
    with pytest.raises(InvalidDateError):
        _trajectory().raise_signal(
            signal_id="s1",
            kind=SignalKind.OTHER,
            raised_at=datetime(2025, 1, 14, tzinfo=UTC), raised_on=date(2025, 1, 14),
        )


def test_a_signal_on_the_first_dutch_evening_counts_by_the_regions_calendar() -> None:
    # 23:30 UTC on the day before is already the tenancy start's day in Amsterdam: the day
    # the region's calendar gives (raised_on) decides, not the UTC date of the moment.
    evening = datetime.combine(START, datetime.min.time(), tzinfo=UTC) - timedelta(minutes=30)
    signal = _trajectory().raise_signal(signal_id="s1", kind=SignalKind.OTHER,
                                        raised_at=evening, raised_on=START)
    assert signal.raised_at == evening


def test_signal_without_a_timezone_is_refused() -> None:
    with pytest.raises(InvalidDateError):
        _trajectory().raise_signal(
            signal_id="s1", kind=SignalKind.OTHER, raised_at=datetime(2025, 5, 1),
            raised_on=date(2025, 5, 1),
        )
