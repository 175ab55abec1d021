"""A waiting client as matching sees it.

Matching learns about clients only from the intake service's ``IntakeSubmitted`` event. The
intake keeps the client file (name, date of birth, contact, BSN); matching receives a
pseudonymous ``client_ref`` and only what a match needs. This model therefore *cannot* hold a
name, a BSN, a date of birth or contact details: there are no fields for them.

Status life cycle::

    waiting ──propose──> proposed ──tenancy──> housed
       ^                    │
       └──── release ───────┘   (declined, expired, home withdrawn)
    waiting | proposed ──withdraw intake──> withdrawn
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from .errors import (
    CandidateAlreadyHoused,
    CandidateAlreadyWithdrawn,
    CandidateNotWaiting,
    InvalidCandidate,
)


class CandidateStatus(StrEnum):
    """Where the candidate is in matching."""

    WAITING = "waiting"
    """In the pool; may be proposed for a home."""
    PROPOSED = "proposed"
    """Held by one open proposal."""
    HOUSED = "housed"
    """The tenancy started; final."""
    WITHDRAWN = "withdrawn"
    """The caseworker withdrew the intake; final."""


class Urgency(StrEnum):
    """How urgent the move is, as agreed at intake: ``low < normal < high < urgent``.

    Compare with :attr:`rank`, not with ``<`` on the values (they are strings).
    """

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for urgent."""
        return _URGENCY_RANK[self]


_URGENCY_RANK: dict[Urgency, int] = {
    Urgency.LOW: 0,
    Urgency.NORMAL: 1,
    Urgency.HIGH: 2,
    Urgency.URGENT: 3,
}


class ClusterPreference(StrEnum):
    """Whether the client is better near a support point or scattered through the region."""

    CLUSTER = "cluster"
    """Near a support point (*geclusterd*, opgave 1)."""
    SCATTERED = "scattered"
    """Not near a support point, scattered through the region (*gespikkeld*, opgave 2)."""
    NO_PREFERENCE = "no_preference"
    """Either setting suits."""


class AccessibilityNeed(StrEnum):
    """An accessibility need recorded at intake. See :mod:`.eligibility` for what meets it.

    The values are the wire vocabulary of the intake's matching profile (shared/events).
    """

    GROUND_FLOOR = "ground_floor"
    """No stairs up to the front door: a ground-floor home, a lift or a wheelchair home."""
    LIFT = "lift"
    """Needs a lift for an upper floor; a ground-floor or wheelchair home does as well."""
    WHEELCHAIR = "wheelchair"
    """Uses a wheelchair: only a wheelchair-accessible home (*rolstoelwoning*)."""
    OTHER = "other"
    """Another need, described in the intake's notes, which never leave the intake. Matching
    cannot check it: it blocks no home, and the warm handover flags it so the corporation
    and the caseworker talk before the corporation decides."""


class RiskCategory(StrEnum):
    """The categories of risks and preconditions mapped at intake."""

    DEBTS = "debts"
    ADDICTION = "addiction"
    NUISANCE_HISTORY = "nuisance_history"
    PSYCHIATRIC = "psychiatric"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Risk:
    """A risk mapped before a home is sought, with the mitigation agreed for it.

    The mitigation is agreed text meant to be shared with the corporation in the warm
    handover (the client consented to it at intake); it describes arrangements, not people.
    """

    category: RiskCategory
    mitigation: str

    def __post_init__(self) -> None:
        if not self.mitigation.strip():
            raise InvalidCandidate("Every mapped risk needs the mitigation agreed for it.")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A client waiting for a home, pseudonymous.

    ``max_rent`` is the highest *kale huur* the caseworker and client agreed the household
    can carry. Amounts are euros as :class:`~decimal.Decimal`.
    ``required_bedrooms`` may be 0 (a studio suffices). ``support_hours`` is whole hours of
    ambulant support a week. ``monthly_income`` is what the intake records: the household's
    *net* monthly income (see :mod:`.affordability_policy` for why that errs on the safe side).
    """

    case_id: str
    client_ref: str
    member_id: str
    adults: int
    children: int
    required_bedrooms: int
    monthly_income: Decimal
    max_rent: Decimal
    urgency: Urgency
    ready_from: date
    submitted_at: datetime
    accessibility_needs: frozenset[AccessibilityNeed] = frozenset()
    preferred_municipalities: frozenset[str] = frozenset()
    excluded_municipalities: frozenset[str] = frozenset()
    cluster_preference: ClusterPreference = ClusterPreference.NO_PREFERENCE
    support_hours: int = 0
    risks: tuple[Risk, ...] = ()
    status: CandidateStatus = CandidateStatus.WAITING
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.case_id or not self.client_ref or not self.member_id:
            raise InvalidCandidate("A candidate needs a case id, a client reference and a member.")
        if self.adults < 1:
            raise InvalidCandidate("A household needs at least one adult.")
        if self.children < 0:
            raise InvalidCandidate("The number of children cannot be negative.")
        if self.required_bedrooms < 0:
            raise InvalidCandidate("The number of required bedrooms cannot be negative.")
        if self.monthly_income < 0:
            raise InvalidCandidate("The monthly income cannot be negative.")
        if self.max_rent <= 0:
            raise InvalidCandidate("The maximum rent must be a positive amount.")
        if self.support_hours < 0:
            raise InvalidCandidate("The support hours per week cannot be negative.")
        if self.submitted_at.tzinfo is None:
            raise InvalidCandidate("The submission time must carry a time zone.")
        overlap = {normalise_municipality(m) for m in self.preferred_municipalities} & {
            normalise_municipality(m) for m in self.excluded_municipalities
        }
        if overlap:
            raise InvalidCandidate("A municipality cannot be both preferred and excluded.")

    @property
    def household_size(self) -> int:
        """Adults plus children: the size passend toewijzen looks at."""
        return self.adults + self.children

    # --- life cycle -------------------------------------------------------------------------

    def mark_proposed(self) -> Candidate:
        """The candidate is now held by one open proposal."""
        if self.status is not CandidateStatus.WAITING:
            raise CandidateNotWaiting(
                f"The client cannot be proposed: the intake is {self.status.value}, not waiting."
            )
        return dataclasses.replace(self, status=CandidateStatus.PROPOSED)

    def release(self) -> Candidate:
        """The open proposal ended without a tenancy: the client waits again."""
        if self.status is not CandidateStatus.PROPOSED:
            raise CandidateNotWaiting(
                f"The client cannot be released: the intake is {self.status.value}, not proposed."
            )
        return dataclasses.replace(self, status=CandidateStatus.WAITING)

    def mark_housed(self) -> Candidate:
        """The tenancy started (final)."""
        if self.status is not CandidateStatus.PROPOSED:
            raise CandidateNotWaiting(
                f"The client cannot be housed: the intake is {self.status.value}, not proposed."
            )
        return dataclasses.replace(self, status=CandidateStatus.HOUSED)

    def withdraw(self, now: datetime) -> Candidate:
        """The caseworker withdrew the intake.

        Any open proposal has to be cancelled alongside; :func:`~.withdrawal.withdraw_intake`
        does both.
        """
        if self.status is CandidateStatus.HOUSED:
            raise CandidateAlreadyHoused(
                "The client is housed; matching holds nothing to release for this intake."
            )
        if self.status is CandidateStatus.WITHDRAWN:
            raise CandidateAlreadyWithdrawn("The intake was already withdrawn.")
        return dataclasses.replace(self, status=CandidateStatus.WITHDRAWN, withdrawn_at=now)


def normalise_municipality(name: str) -> str:
    """Compare municipality names without caring about case or surrounding blanks."""
    return " ".join(name.split()).casefold()
