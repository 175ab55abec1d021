"""Overdue check-ins with a fixed clock, and one alert per missed check-in."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.aftercare.domain.checkin import CheckIn, CheckInStatus
from services.aftercare.domain.events import CheckInOverdue
from services.aftercare.domain.outcomes import Contract, ContractType, Outcome
from services.aftercare.domain.policy import AftercarePolicy
from services.aftercare.domain.schedule import DueStatus
from services.aftercare.domain.trajectory import AftercareTrajectory

START = date(2025, 1, 15)
MONTH_1_DUE = date(2025, 2, 15)
LAST_ON_TIME = date(2025, 3, 1)  # due + 14 days grace
FIRST_OVERDUE = date(2025, 3, 2)


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


def _months(trajectory: AftercareTrajectory, today: date) -> list[int]:
    return [due.month for due in trajectory.overdue_checkins(today)]


def test_checkin_is_not_overdue_on_the_last_day_of_grace() -> None:
    assert _months(_trajectory(), LAST_ON_TIME) == []


def test_checkin_is_overdue_the_day_after_grace_ends() -> None:
    assert _months(_trajectory(), FIRST_OVERDUE) == [1]


def test_grace_days_come_from_the_policy() -> None:
    trajectory = _trajectory(AftercarePolicy(grace_days=0))

    assert _months(trajectory, MONTH_1_DUE) == []
    assert _months(trajectory, date(2025, 2, 16)) == [1]


def test_checkin_recorded_within_grace_is_never_overdue() -> None:
    trajectory = _trajectory()
    trajectory.record_checkin(
        CheckIn(checkin_id="a", held_on=LAST_ON_TIME, status=CheckInStatus.STABLE),
        today=LAST_ON_TIME,
    )

    assert _months(trajectory, date(2025, 3, 10)) == []


def test_late_checkin_clears_the_overdue_checkin() -> None:
    trajectory = _trajectory()
    assert _months(trajectory, date(2025, 3, 5)) == [1]

    trajectory.record_checkin(
        CheckIn(checkin_id="a", held_on=date(2025, 3, 5), status=CheckInStatus.STABLE),
        today=date(2025, 3, 5),
    )

    assert _months(trajectory, date(2025, 3, 5)) == []


def test_one_checkin_after_several_misses_clears_them_all() -> None:
    trajectory = _trajectory()
    today = date(2025, 5, 10)
    assert _months(trajectory, today) == [1, 2, 3]

    trajectory.record_checkin(
        CheckIn(checkin_id="a", held_on=today, status=CheckInStatus.ATTENTION), today=today
    )

    assert _months(trajectory, today) == []
    assert [due.status for due in trajectory.due_checkins()][:3] == [
        DueStatus.MISSED,
        DueStatus.MISSED,
        DueStatus.FULFILLED,
    ]


def test_overdue_checkin_is_alerted_once_however_often_the_sweep_runs() -> None:
    trajectory = _trajectory()

    first_sweep = trajectory.alert_overdue_checkins(FIRST_OVERDUE)
    second_sweep = trajectory.alert_overdue_checkins(date(2025, 3, 3))

    assert [due.month for due in first_sweep] == [1]
    assert second_sweep == ()
    assert trajectory.alerted_due_dates == frozenset({MONTH_1_DUE})
    overdue = [e for e in trajectory.pull_events() if isinstance(e, CheckInOverdue)]
    assert [(e.month, e.due_on, e.member_id) for e in overdue] == [(1, MONTH_1_DUE, "m01")]


def test_overdue_list_tells_already_alerted_from_newly_overdue() -> None:
    trajectory = _trajectory()
    trajectory.alert_overdue_checkins(FIRST_OVERDUE)

    overdue = trajectory.overdue_checkins(date(2025, 3, 30))

    assert [(due.month, due.alerted) for due in overdue] == [(1, True), (2, False)]
    assert [due.month for due in trajectory.alert_overdue_checkins(date(2025, 3, 30))] == [2]


def test_alerted_set_survives_reloading_the_trajectory() -> None:
    trajectory = _trajectory()
    trajectory.alert_overdue_checkins(FIRST_OVERDUE)

    reloaded = AftercareTrajectory(
        trajectory_id="t1",
        case_id="c1",
        client_ref="ref-1",
        member_id="m01",
        corporation_id="corp1",
        home_id="h1",
        tenancy_start=START,
        contract=Contract(ContractType.OWN_NAME),
        alerted_due_dates=trajectory.alerted_due_dates,
    )

    assert reloaded.alert_overdue_checkins(date(2025, 3, 3)) == ()


def test_completed_trajectory_has_no_overdue_checkins() -> None:
    trajectory = _trajectory()
    trajectory.complete(Outcome.LOST_CONTACT, today=date(2025, 4, 20))

    assert trajectory.overdue_checkins(date(2025, 12, 1)) == ()
    assert trajectory.alert_overdue_checkins(date(2025, 12, 1)) == ()


def test_closing_counts_overdue_checkins_as_missed_and_lets_later_ones_lapse() -> None:
    trajectory = _trajectory()
    # Apr 20: months 1 and 2 are overdue; month 3 (due Apr 15) is still within grace.
    trajectory.complete(Outcome.LOST_CONTACT, today=date(2025, 4, 20))

    assert [due.status for due in trajectory.due_checkins()] == [
        DueStatus.MISSED,
        DueStatus.MISSED,
        DueStatus.CANCELLED,
        DueStatus.CANCELLED,
        DueStatus.CANCELLED,
        DueStatus.CANCELLED,
    ]


# -- what is stored for the sweep agrees with the schedule --------------------------------

_STEP = st.tuples(st.sampled_from(["checkin", "sweep", "extend", "wait"]),
                  st.integers(min_value=1, max_value=60))


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(_STEP, max_size=25), complete_at=st.none() | st.integers(0, 24),
       probes=st.lists(st.integers(min_value=0, max_value=800), min_size=1, max_size=8))
def test_the_stored_overdue_dates_say_what_is_overdue_and_what_needs_an_alert(
        steps: list[tuple[str, int]], complete_at: int | None, probes: list[int]) -> None:
    """Whatever happened, on any later day: the overdue check-ins are exactly those whose
    stored date has come, and there is something to alert exactly when the stored first
    alert day has come."""
    trajectory = _trajectory()
    today = START
    for i, (what, days) in enumerate(steps):
        if i == complete_at:
            trajectory.complete(Outcome.STABLE, today)
            break
        today += timedelta(days=days)
        if what == "checkin":
            trajectory.record_checkin(CheckIn(checkin_id=f"c{i}", held_on=today,
                                              status=CheckInStatus.STABLE), today=today)
        elif what == "sweep":
            trajectory.alert_overdue_checkins(today)
        elif what == "extend":
            trajectory.extend(months=days % 6 + 1, reason="more support", today=today)
    dates, alert_on = trajectory.overdue_dates(), trajectory.next_alert_on()
    for offset in probes:
        day = today + timedelta(days=offset)
        overdue = trajectory.overdue_checkins(day)
        assert sum(d <= day for d in dates) == len(overdue)
        assert (alert_on is not None and alert_on <= day) == any(
            not due.alerted for due in overdue)
