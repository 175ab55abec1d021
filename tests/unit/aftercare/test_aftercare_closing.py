"""Closing with an outcome, extension, omklap and the aftercare throughput time."""

from datetime import date

import pytest

from services.aftercare.domain.errors import (
    InvalidContractError,
    InvalidDateError,
    InvalidExtensionError,
    TrajectoryCompletedError,
)
from services.aftercare.domain.events import (
    AftercareCompleted,
    AftercareExtended,
    AftercareOpened,
    ContractConversionDue,
)
from services.aftercare.domain.outcomes import (
    Contract,
    ContractType,
    Outcome,
    aftercare_duration_days,
)
from services.aftercare.domain.trajectory import AftercareTrajectory, TrajectoryStatus

START = date(2025, 1, 15)
YEAR_END = date(2026, 1, 15)
INTERMEDIARY_12 = Contract(ContractType.INTERMEDIARY, omklap_after_months=12)


def _trajectory(contract: Contract | None = None) -> AftercareTrajectory:
    return AftercareTrajectory.open(
        trajectory_id="t1",
        case_id="c1",
        client_ref="ref-1",
        member_id="m01",
        corporation_id="corp1",
        home_id="h1",
        tenancy_start=START,
        contract=contract or Contract(ContractType.OWN_NAME),
    )


def test_opened_trajectory_is_open_for_a_year_and_says_so() -> None:
    trajectory = _trajectory()

    assert trajectory.status is TrajectoryStatus.OPEN
    (opened,) = trajectory.pull_events()
    assert isinstance(opened, AftercareOpened)
    assert (opened.client_ref, opened.ends_on) == ("ref-1", YEAR_END)
    assert trajectory.pull_events() == []


def test_outcome_at_year_end_completes_the_trajectory() -> None:
    trajectory = _trajectory()

    trajectory.complete(Outcome.STABLE, today=YEAR_END)

    assert trajectory.status is TrajectoryStatus.COMPLETED
    assert trajectory.outcome is Outcome.STABLE
    assert trajectory.duration_days == 365
    completed = [e for e in trajectory.pull_events() if isinstance(e, AftercareCompleted)]
    assert [(e.outcome, e.completed_on, e.duration_days) for e in completed] == [
        (Outcome.STABLE, YEAR_END, 365)
    ]


def test_trajectory_can_be_closed_before_the_year_is_over() -> None:
    trajectory = _trajectory()

    trajectory.complete(Outcome.EVICTED, today=date(2025, 8, 1))

    assert trajectory.status is TrajectoryStatus.COMPLETED
    assert trajectory.duration_days == 198


def test_completed_trajectory_cannot_be_completed_again() -> None:
    trajectory = _trajectory()
    trajectory.complete(Outcome.STABLE, today=YEAR_END)

    with pytest.raises(TrajectoryCompletedError):
        trajectory.complete(Outcome.EVICTED, today=YEAR_END)


def test_completed_trajectory_cannot_be_extended() -> None:
    trajectory = _trajectory()
    trajectory.complete(Outcome.STABLE, today=YEAR_END)

    with pytest.raises(TrajectoryCompletedError):
        trajectory.extend(months=3, reason="debts not settled", today=YEAR_END)


def test_closing_before_the_tenancy_start_is_refused() -> None:
    with pytest.raises(InvalidDateError):
        _trajectory().complete(Outcome.STABLE, today=date(2025, 1, 14))


def test_extension_moves_the_end_and_adds_checkins() -> None:
    trajectory = _trajectory()

    trajectory.extend(months=6, reason="debt settlement still running", today=date(2025, 12, 1))

    assert trajectory.status is TrajectoryStatus.EXTENDED
    assert trajectory.ends_on == date(2026, 7, 15)
    assert [due.month for due in trajectory.due_checkins()][-3:] == [12, 15, 18]
    extended = [e for e in trajectory.pull_events() if isinstance(e, AftercareExtended)]
    assert [(e.months, e.ends_on) for e in extended] == [(6, date(2026, 7, 15))]


def test_extensions_add_up() -> None:
    trajectory = _trajectory()
    trajectory.extend(months=3, reason="new job, keep an eye", today=date(2025, 12, 1))
    trajectory.extend(months=2, reason="moving in partner", today=date(2026, 4, 1))

    assert trajectory.ends_on == date(2026, 6, 15)
    assert [ext.reason for ext in trajectory.extensions] == [
        "new job, keep an eye",
        "moving in partner",
    ]


@pytest.mark.parametrize(("months", "reason"), [(3, ""), (3, "   "), (0, "reason"), (-1, "r")])
def test_extension_needs_a_reason_and_at_least_one_month(months: int, reason: str) -> None:
    trajectory = _trajectory()

    with pytest.raises(InvalidExtensionError):
        trajectory.extend(months=months, reason=reason, today=date(2025, 12, 1))
    assert trajectory.status is TrajectoryStatus.OPEN


def test_stable_outcome_makes_an_intermediary_contract_due_for_omklap() -> None:
    trajectory = _trajectory(INTERMEDIARY_12)

    trajectory.complete(Outcome.STABLE, today=YEAR_END)

    assert trajectory.conversion_due(YEAR_END)
    due = [e for e in trajectory.pull_events() if isinstance(e, ContractConversionDue)]
    assert [(e.corporation_id, e.home_id, e.due_on) for e in due] == [("corp1", "h1", YEAR_END)]


@pytest.mark.parametrize("outcome", [o for o in Outcome if o is not Outcome.STABLE])
def test_only_a_stable_outcome_leads_to_omklap(outcome: Outcome) -> None:
    trajectory = _trajectory(INTERMEDIARY_12)

    trajectory.complete(outcome, today=YEAR_END)

    assert not trajectory.conversion_due(YEAR_END)
    assert trajectory.conversion_due_on is None
    assert not [e for e in trajectory.pull_events() if isinstance(e, ContractConversionDue)]


@pytest.mark.parametrize(
    "contract", [Contract(ContractType.OWN_NAME), Contract(ContractType.TEMPORARY)]
)
def test_contracts_other_than_intermediary_never_convert(contract: Contract) -> None:
    trajectory = _trajectory(contract)

    trajectory.complete(Outcome.STABLE, today=YEAR_END)

    assert not trajectory.conversion_due(YEAR_END)


def test_early_stable_closing_converts_only_once_the_omklap_term_has_passed() -> None:
    trajectory = _trajectory(INTERMEDIARY_12)

    trajectory.complete(Outcome.STABLE, today=date(2025, 10, 1))

    assert trajectory.conversion_due_on == YEAR_END
    assert not trajectory.conversion_due(date(2026, 1, 14))
    assert trajectory.conversion_due(YEAR_END)


def test_open_trajectory_is_never_due_for_omklap() -> None:
    assert not _trajectory(INTERMEDIARY_12).conversion_due(date(2027, 1, 1))


@pytest.mark.parametrize(
    ("contract_type", "omklap"),
    [
        (ContractType.INTERMEDIARY, None),
        (ContractType.INTERMEDIARY, 0),
        (ContractType.OWN_NAME, 12),
        (ContractType.TEMPORARY, 6),
    ],
)
def test_omklap_term_belongs_to_intermediary_contracts_only(
    contract_type: ContractType, omklap: int | None
) -> None:
    with pytest.raises(InvalidContractError):
        Contract(contract_type, omklap_after_months=omklap)


def test_aftercare_duration_counts_days_from_tenancy_start() -> None:
    assert aftercare_duration_days(START, START) == 0
    assert aftercare_duration_days(date(2024, 1, 1), date(2025, 1, 1)) == 366
    with pytest.raises(InvalidDateError):
        aftercare_duration_days(START, date(2025, 1, 14))


def test_omklap_term_longer_than_the_year_postpones_the_conversion() -> None:
    trajectory = _trajectory(Contract(ContractType.INTERMEDIARY, omklap_after_months=18))

    trajectory.complete(Outcome.STABLE, today=YEAR_END)

    assert trajectory.conversion_due_on == date(2026, 7, 15)
