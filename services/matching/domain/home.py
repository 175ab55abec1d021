"""A home that a housing corporation offers into the contingent (direct mediation).

A corporation offers one concrete home; matching proposes it to one candidate at a time. The
home holds only what eligibility, the proposal and the warm handover need: where it is (the
municipality and the four-digit postcode area, never the street address), its size, rent and
accessibility, whether it lies near a support point (cluster, *opgave 1*) or scattered
through the region (*gespikkeld*, *opgave 2*), and the contract the tenant will get.

Status life cycle::

    offered ──propose──> proposed ──tenancy──> let
       ^                    │
       └──── release ───────┘   (declined, expired, intake withdrawn)
    offered | proposed ──withdraw──> withdrawn

Instances are immutable; every change returns a new :class:`Home`.
"""

from __future__ import annotations

import calendar
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from .errors import HomeAlreadyLet, HomeAlreadyWithdrawn, HomeNotOffered, InvalidHome


class HomeStatus(StrEnum):
    """Where the home is in its life cycle."""

    OFFERED = "offered"
    """Waiting for a candidate (no open proposal)."""
    PROPOSED = "proposed"
    """Held by one open proposal (proposed, or accepted and waiting for the tenancy)."""
    LET = "let"
    """The tenancy has started; final."""
    WITHDRAWN = "withdrawn"
    """The corporation took the home back before a tenancy; final."""


class AccessibilityFeature(StrEnum):
    """What a home offers for people with limited mobility.

    The values are the wire vocabulary of ``HomeOffered.accessibility`` (shared/events).
    """

    GROUND_FLOOR = "ground_floor"
    """The home's entrance is at street level (*begane grond*)."""
    LIFT = "lift"
    """The home is on an upper floor reached by a lift."""
    WHEELCHAIR_ACCESSIBLE = "wheelchair"
    """The home is adapted for a wheelchair (*rolstoelwoning*): step-free and wide enough."""
    OTHER = "other"
    """Another adaptation, described to the caseworker by the corporation; meets no need by
    itself in the automatic check."""


class ContractKind(StrEnum):
    """The kind of tenancy contract the home comes with."""

    OWN_NAME = "own_name"
    """A contract on the tenant's own name from day one."""
    INTERMEDIARY = "intermediary"
    """An intermediary contract (*driepartijencontract* / *huurcontract op naam van de
    zorgaanbieder*) that converts to the tenant's own name after N months (*omklap*)."""
    TEMPORARY = "temporary"
    """A temporary contract for a fixed term in months."""


@dataclass(frozen=True, slots=True)
class Contract:
    """The contract a home comes with. Build one with the class methods.

    ``omklap_after_months`` is set only for intermediary contracts and ``term_months`` only
    for temporary ones.
    """

    kind: ContractKind
    omklap_after_months: int | None = None
    term_months: int | None = None

    def __post_init__(self) -> None:
        if self.kind is ContractKind.INTERMEDIARY:
            if self.omklap_after_months is None or self.omklap_after_months < 1:
                raise InvalidHome(
                    "An intermediary contract needs the number of months after which it "
                    "converts to the tenant's own name (omklap), at least 1."
                )
        elif self.omklap_after_months is not None:
            raise InvalidHome("Only an intermediary contract has an omklap period.")
        if self.kind is ContractKind.TEMPORARY:
            if self.term_months is None or self.term_months < 1:
                raise InvalidHome("A temporary contract needs a term of at least 1 month.")
        elif self.term_months is not None:
            raise InvalidHome("Only a temporary contract has a term.")

    @classmethod
    def own_name(cls) -> Contract:
        """A contract on the tenant's own name."""
        return cls(ContractKind.OWN_NAME)

    @classmethod
    def intermediary(cls, omklap_after_months: int = 12) -> Contract:
        """An intermediary contract that converts (omklap) after the given months."""
        return cls(ContractKind.INTERMEDIARY, omklap_after_months=omklap_after_months)

    @classmethod
    def temporary(cls, term_months: int) -> Contract:
        """A temporary contract for ``term_months`` months."""
        return cls(ContractKind.TEMPORARY, term_months=term_months)

    def omklap_due_on(self, starts_on: date) -> date | None:
        """The date an intermediary contract converts to the tenant's own name, else None."""
        if self.omklap_after_months is None:
            return None
        return add_months(starts_on, self.omklap_after_months)

    def ends_on(self, starts_on: date) -> date | None:
        """The last-day-plus-one of a temporary contract, else None."""
        if self.term_months is None:
            return None
        return add_months(starts_on, self.term_months)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months; the 31st becomes the month's last day if needed."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


@dataclass(frozen=True, slots=True)
class Home:
    """A home offered into the contingent by one corporation.

    Amounts are in euros as :class:`~decimal.Decimal`; ``rent`` is the *kale huur* (net rent
    without service costs), the figure passend toewijzen compares with the aftoppingsgrens.
    """

    home_id: str
    corporation_id: str
    municipality: str
    postcode4: str
    bedrooms: int
    rent: Decimal
    contract: Contract
    available_from: date
    contingent_year: int
    features: frozenset[AccessibilityFeature] = frozenset()
    near_support_point: bool = False
    status: HomeStatus = HomeStatus.OFFERED
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.home_id or not self.corporation_id:
            raise InvalidHome("A home needs a home id and the id of its corporation.")
        if not self.municipality.strip():
            raise InvalidHome("A home needs the municipality it lies in.")
        if not (len(self.postcode4) == 4 and self.postcode4.isdigit() and self.postcode4[0] != "0"):
            raise InvalidHome("The postcode area must be four digits, 1000 to 9999.")
        if self.bedrooms < 0:
            raise InvalidHome("The number of bedrooms cannot be negative.")
        if self.rent <= 0:
            raise InvalidHome("The rent must be a positive amount.")
        if not 2000 <= self.contingent_year <= 2100:
            raise InvalidHome("The contingent year must be a calendar year such as 2027.")

    # --- life cycle -------------------------------------------------------------------------

    def mark_proposed(self) -> Home:
        """The home is now held by one open proposal."""
        if self.status is not HomeStatus.OFFERED:
            raise HomeNotOffered(
                f"The home cannot be proposed: it is {self.status.value}, not offered."
            )
        return dataclasses.replace(self, status=HomeStatus.PROPOSED)

    def release(self) -> Home:
        """The open proposal ended without a tenancy: the home waits for the next candidate."""
        if self.status is not HomeStatus.PROPOSED:
            raise HomeNotOffered(
                f"The home cannot be released: it is {self.status.value}, not proposed."
            )
        return dataclasses.replace(self, status=HomeStatus.OFFERED)

    def mark_let(self) -> Home:
        """The tenancy started: the home is let (final)."""
        if self.status is not HomeStatus.PROPOSED:
            raise HomeNotOffered(
                f"The home cannot be let: it is {self.status.value}, not proposed."
            )
        return dataclasses.replace(self, status=HomeStatus.LET)

    def withdraw(self, now: datetime) -> Home:
        """The corporation takes the home back before a tenancy.

        Raises :class:`HomeAlreadyLet` once the tenancy has started and
        :class:`HomeAlreadyWithdrawn` when it was withdrawn before. Any open proposal has to
        be cancelled alongside; :func:`~.withdrawal.withdraw_home` does both.
        """
        if self.status is HomeStatus.LET:
            raise HomeAlreadyLet("The home is let; a let home cannot be withdrawn.")
        if self.status is HomeStatus.WITHDRAWN:
            raise HomeAlreadyWithdrawn("The home was already withdrawn.")
        return dataclasses.replace(self, status=HomeStatus.WITHDRAWN, withdrawn_at=now)
