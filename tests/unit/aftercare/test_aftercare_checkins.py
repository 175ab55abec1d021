"""Recording check-ins and which due check-in each one fulfils."""

from datetime import date

import pytest

from services.aftercare.domain.checkin import CheckIn, CheckInStatus, LifeDomain
from services.aftercare.domain.errors import (
    CheckInBeforeTenancyStartError,
    CheckInInFutureError,
    DuplicateCheckInError,
    InvalidCheckInError,
    TrajectoryCompletedError,
)
from services.aftercare.domain.events import CheckInRecorded
from services.aftercare.domain.outcomes import Contract, ContractType, Outcome
from services.aftercare.domain.schedule import DueStatus
from services.aftercare.domain.trajectory import AftercareTrajectory

START = date(2025, 1, 15)  # dues Feb 15, Mar 15, Apr 15, Jul 15, Oct 15, Jan 15; early 7 days
TODAY = date(2026, 6, 1)


def _trajectory() -> AftercareTrajectory:
    return AftercareTrajectory.open(
        trajectory_id="t1",
        case_id="c1",
        client_ref="ref-1",
        member_id="m01",
        corporation_id="corp1",
        home_id="h1",
        tenancy_start=START,
        contract=Contract(ContractType.OWN_NAME),
    )


def _checkin(
    checkin_id: str, held_on: date, status: CheckInStatus = CheckInStatus.STABLE
) -> CheckIn:
    return CheckIn(checkin_id=checkin_id, held_on=held_on, status=status)


def _statuses(trajectory: AftercareTrajectory) -> list[DueStatus]:
    return [due.status for due in trajectory.due_checkins()]


def test_checkin_in_the_window_fulfils_that_due_checkin() -> None:
    trajectory = _trajectory()

    event = trajectory.record_checkin(_checkin("a", date(2025, 2, 14)), today=TODAY)

    assert event.fulfils_month == 1
    assert event.due_on == date(2025, 2, 15)
    first = trajectory.due_checkins()[0]
    assert (first.status, first.fulfilled_by, first.fulfilled_on) == (
        DueStatus.FULFILLED,
        "a",
        date(2025, 2, 14),
    )


def test_window_opens_exactly_early_days_before_the_due_date() -> None:
    trajectory = _trajectory()

    too_early = trajectory.record_checkin(_checkin("a", date(2025, 2, 7)), today=TODAY)
    on_opening = trajectory.record_checkin(_checkin("b", date(2025, 2, 8)), today=TODAY)

    assert too_early.fulfils_month is None
    assert on_opening.fulfils_month == 1


def test_second_checkin_in_the_same_window_is_an_extra_contact() -> None:
    trajectory = _trajectory()
    trajectory.record_checkin(_checkin("a", date(2025, 2, 15)), today=TODAY)

    extra = trajectory.record_checkin(_checkin("b", date(2025, 2, 20)), today=TODAY)

    assert extra.fulfils_month is None
    assert _statuses(trajectory)[:2] == [DueStatus.FULFILLED, DueStatus.PENDING]


def test_late_checkin_still_in_its_own_window_fulfils_the_late_due_checkin() -> None:
    trajectory = _trajectory()

    # Month 2's window opens Mar 8; Mar 7 still belongs to month 1, three weeks late.
    event = trajectory.record_checkin(_checkin("a", date(2025, 3, 7)), today=TODAY)

    assert event.fulfils_month == 1


def test_checkin_in_a_later_window_fulfils_it_and_marks_skipped_ones_missed() -> None:
    trajectory = _trajectory()

    event = trajectory.record_checkin(_checkin("a", date(2025, 4, 10)), today=TODAY)

    assert event.fulfils_month == 3
    assert _statuses(trajectory)[:4] == [
        DueStatus.MISSED,
        DueStatus.MISSED,
        DueStatus.FULFILLED,
        DueStatus.PENDING,
    ]


def test_checkin_recorded_afterwards_with_an_earlier_date_lands_on_its_own_due_date() -> None:
    trajectory = _trajectory()
    trajectory.record_checkin(_checkin("later", date(2025, 3, 15)), today=TODAY)

    event = trajectory.record_checkin(_checkin("earlier", date(2025, 2, 15)), today=TODAY)

    assert event.fulfils_month == 1
    assert _statuses(trajectory)[:2] == [DueStatus.FULFILLED, DueStatus.FULFILLED]


def test_checkin_after_the_last_due_date_fulfils_the_last_one() -> None:
    trajectory = _trajectory()

    event = trajectory.record_checkin(_checkin("a", date(2026, 3, 1)), today=TODAY)

    assert event.fulfils_month == 12


def test_checkin_on_the_tenancy_start_is_allowed_as_an_extra_contact() -> None:
    trajectory = _trajectory()

    event = trajectory.record_checkin(_checkin("a", START), today=START)

    assert event.fulfils_month is None
    assert trajectory.checkins[0].checkin_id == "a"


def test_checkin_before_the_tenancy_start_is_refused() -> None:
    with pytest.raises(CheckInBeforeTenancyStartError):
        _trajectory().record_checkin(_checkin("a", date(2025, 1, 14)), today=TODAY)


def test_checkin_dated_after_today_is_refused_but_today_is_fine() -> None:
    trajectory = _trajectory()
    today = date(2025, 2, 15)

    trajectory.record_checkin(_checkin("a", today), today=today)
    with pytest.raises(CheckInInFutureError):
        trajectory.record_checkin(_checkin("b", date(2025, 2, 16)), today=today)


def test_checkin_on_a_completed_trajectory_is_refused() -> None:
    trajectory = _trajectory()
    trajectory.complete(Outcome.STABLE, today=date(2026, 1, 15))

    with pytest.raises(TrajectoryCompletedError):
        trajectory.record_checkin(_checkin("a", date(2026, 1, 15)), today=TODAY)


def test_the_same_checkin_id_cannot_be_recorded_twice() -> None:
    trajectory = _trajectory()
    trajectory.record_checkin(_checkin("a", date(2025, 2, 15)), today=TODAY)

    with pytest.raises(DuplicateCheckInError):
        trajectory.record_checkin(_checkin("a", date(2025, 3, 15)), today=TODAY)


def test_checkin_holds_scores_actions_and_private_notes_but_the_event_does_not() -> None:
    trajectory = _trajectory()
    scores = {LifeDomain.RENT_AND_MONEY: 2, LifeDomain.HEALTH: 4}
    checkin = CheckIn(
        checkin_id="a",
        held_on=date(2025, 2, 15),
        status=CheckInStatus.ATTENTION,
        scores=scores,
        agreed_actions=("budget coach",),
        private_notes="tense about the letter from the landlord",
    )

    event = trajectory.record_checkin(checkin, today=TODAY)
    scores[LifeDomain.DEBTS] = 1  # the caller's dict changing afterwards

    stored = trajectory.checkins[0]
    assert dict(stored.scores) == {LifeDomain.RENT_AND_MONEY: 2, LifeDomain.HEALTH: 4}
    assert stored.agreed_actions == ("budget coach",)
    assert stored.private_notes == "tense about the letter from the landlord"
    assert isinstance(event, CheckInRecorded)
    assert not {"scores", "private_notes", "agreed_actions"} & set(vars(event))


@pytest.mark.parametrize("score", [0, 6, True, 2.5])
def test_life_domain_score_outside_the_1_to_5_scale_is_refused(score: object) -> None:
    with pytest.raises(InvalidCheckInError):
        CheckIn(
            checkin_id="a",
            held_on=date(2025, 2, 15),
            status=CheckInStatus.STABLE,
            scores={LifeDomain.DEBTS: score},  # type: ignore[dict-item]
        )


def test_last_status_is_that_of_the_latest_checkin_by_date_not_by_recording() -> None:
    trajectory = _trajectory()
    trajectory.record_checkin(_checkin("a", date(2025, 3, 15), CheckInStatus.CRISIS), TODAY)
    trajectory.record_checkin(_checkin("b", date(2025, 2, 15), CheckInStatus.STABLE), TODAY)

    assert trajectory.last_checkin_status is CheckInStatus.CRISIS


def test_of_two_checkins_on_one_day_the_last_recorded_sets_the_status() -> None:
    trajectory = _trajectory()
    trajectory.record_checkin(_checkin("a", date(2025, 3, 15), CheckInStatus.CRISIS), TODAY)
    trajectory.record_checkin(_checkin("b", date(2025, 3, 15), CheckInStatus.ATTENTION), TODAY)

    assert trajectory.last_checkin_status is CheckInStatus.ATTENTION
