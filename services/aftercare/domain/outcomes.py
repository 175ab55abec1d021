"""How a trajectory ends, the contract and its omklap, and the aftercare throughput time."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.aftercare.domain.errors import (
    InvalidContractError,
    InvalidDateError,
    InvalidExtensionError,
)
from services.aftercare.domain.schedule import add_months


class Outcome(StrEnum):
    """The supporter's account of how the tenancy stands at closing (uitstroomresultaat)."""

    STABLE = "stable"
    MOVED_ON = "moved_on"
    RETURNED_TO_SHELTER = "returned_to_shelter"
    EVICTED = "evicted"
    DECEASED = "deceased"
    LOST_CONTACT = "lost_contact"


class ContractType(StrEnum):
    """Rental contract: own name, an intermediary contract (omklapcontract), or temporary."""

    OWN_NAME = "own_name"
    INTERMEDIARY = "intermediary"
    TEMPORARY = "temporary"


@dataclass(frozen=True)
class Contract:
    """The tenancy's contract; an intermediary one converts after ``omklap_after_months``."""

    type: ContractType
    omklap_after_months: int | None = None

    def __post_init__(self) -> None:
        if self.type is ContractType.INTERMEDIARY:
            if self.omklap_after_months is None or self.omklap_after_months < 1:
                raise InvalidContractError("an intermediary contract needs omklap_after_months")
        elif self.omklap_after_months is not None:
            raise InvalidContractError("only an intermediary contract has an omklap term")


def outcome_allows_conversion(outcome: Outcome) -> bool:
    """Omklap only after a stable year.

    ``moved_on`` leaves the home, so there is nothing to convert; every other outcome means
    the tenancy did not prove itself.
    """
    return outcome is Outcome.STABLE


@dataclass(frozen=True)
class Completion:
    """The closing (afsluiting) of a trajectory."""

    outcome: Outcome
    completed_on: date


def conversion_due_on(
    contract: Contract, tenancy_start: date, completion: Completion | None
) -> date | None:
    """When an intermediary contract may go to the tenant's own name (omklap), if ever.

    Only after a stable closing, and not before the contract's own omklap term: a trajectory
    closed early does not shorten the term the corporation agreed to.
    """
    if completion is None or not outcome_allows_conversion(completion.outcome):
        return None
    if contract.type is not ContractType.INTERMEDIARY or contract.omklap_after_months is None:
        return None
    term_ends = add_months(tenancy_start, contract.omklap_after_months)
    return max(term_ends, completion.completed_on)


@dataclass(frozen=True)
class Extension:
    """A verlenging beyond the agreed length, by whole months, with the reason why."""

    months: int
    reason: str
    granted_on: date

    def __post_init__(self) -> None:
        if self.months < 1:
            raise InvalidExtensionError("an extension is at least one month")
        if not self.reason.strip():
            raise InvalidExtensionError("an extension needs a reason")


def aftercare_duration_days(tenancy_start: date, ended_on: date) -> int:
    """Throughput time tenancy start → aftercare end, in days (a histogram in business time)."""
    if ended_on < tenancy_start:
        raise InvalidDateError("aftercare cannot end before the tenancy started")
    return (ended_on - tenancy_start).days
