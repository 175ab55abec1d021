"""The check-in schedule: calendar months, month ends, configurable policy, extensions."""

from datetime import date

import pytest

from services.aftercare.domain.errors import InvalidPolicyError
from services.aftercare.domain.outcomes import Contract, ContractType
from services.aftercare.domain.policy import AftercarePolicy
from services.aftercare.domain.schedule import add_months, checkin_months
from services.aftercare.domain.trajectory import AftercareTrajectory


def _trajectory(start: date, policy: AftercarePolicy | None = None) -> AftercareTrajectory:
    return AftercareTrajectory.open(
        trajectory_id="t1",
        case_id="c1",
        client_ref="ref-1",
        member_id="m01",
        corporation_id="corp1",
        home_id="h1",
        tenancy_start=start,
        contract=Contract(ContractType.OWN_NAME),
        policy=policy or AftercarePolicy(),
    )


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 1, 31), 2, date(2025, 3, 31)),
        (date(2025, 1, 31), 3, date(2025, 4, 30)),
        (date(2025, 3, 31), 11, date(2026, 2, 28)),
        (date(2025, 11, 15), 2, date(2026, 1, 15)),
        (date(2025, 1, 15), 12, date(2026, 1, 15)),
        (date(2025, 6, 1), 0, date(2025, 6, 1)),
    ],
)
def test_adding_months_clamps_to_the_end_of_a_shorter_month(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


def test_default_schedule_is_due_at_months_1_2_3_6_9_12() -> None:
    dues = _trajectory(date(2025, 1, 15)).due_checkins()

    assert [due.month for due in dues] == [1, 2, 3, 6, 9, 12]
    assert [due.due_on for due in dues] == [
        date(2025, 2, 15),
        date(2025, 3, 15),
        date(2025, 4, 15),
        date(2025, 7, 15),
        date(2025, 10, 15),
        date(2026, 1, 15),
    ]


def test_month_end_start_counts_each_due_date_from_the_start_not_the_previous_due() -> None:
    dues = _trajectory(date(2025, 1, 31)).due_checkins()

    # Chaining from Feb 28 would drift to Mar 28; counting from Jan 31 keeps Mar 31.
    assert [due.due_on for due in dues[:3]] == [
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


def test_year_ends_twelve_calendar_months_after_the_tenancy_start() -> None:
    assert _trajectory(date(2024, 2, 29)).ends_on == date(2025, 2, 28)


def test_region_can_configure_length_and_checkin_months() -> None:
    policy = AftercarePolicy(length_months=18, checkin_months=(1, 6, 12, 18))
    trajectory = _trajectory(date(2025, 1, 15), policy)

    assert [due.month for due in trajectory.due_checkins()] == [1, 6, 12, 18]
    assert trajectory.ends_on == date(2026, 7, 15)


def test_due_window_opens_early_days_before_and_overdue_starts_after_grace() -> None:
    policy = AftercarePolicy(early_days=7, grace_days=14)
    first = _trajectory(date(2025, 1, 15), policy).due_checkins()[0]

    assert first.opens_on == date(2025, 2, 8)
    assert first.overdue_from == date(2025, 3, 2)


def test_extension_continues_every_interval_and_adds_a_closing_checkin() -> None:
    policy = AftercarePolicy(extension_checkin_interval_months=3)

    assert checkin_months(policy, [6]) == (1, 2, 3, 6, 9, 12, 15, 18)
    assert checkin_months(policy, [4]) == (1, 2, 3, 6, 9, 12, 15, 16)
    assert checkin_months(policy, [2, 3]) == (1, 2, 3, 6, 9, 12, 14, 17)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"length_months": 0},
        {"checkin_months": ()},
        {"checkin_months": (0, 1)},
        {"checkin_months": (2, 1)},
        {"checkin_months": (1, 1)},
        {"checkin_months": (1, 13)},
        {"grace_days": -1},
        {"early_days": 28},
        {"early_days": -1},
        {"escalation_days": 0},
        {"extension_checkin_interval_months": 0},
    ],
)
def test_inconsistent_policy_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidPolicyError):
        AftercarePolicy(**kwargs)  # type: ignore[arg-type]
