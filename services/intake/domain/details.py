"""What the caseworker records about a client and their needs, and how it is validated.

`IntakeDetails` is the whole form. `validate_details` checks every field and returns all problems
at once, so the caseworker can fix them in one go; `normalise_details` then stores the values in
one canonical form (trimmed text, official municipality names, BSN without separators).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from services.intake.domain.affordability import RentLimits, validate_money
from services.intake.domain.client import PersonalData, validate_personal_data
from services.intake.domain.errors import FieldError
from services.intake.domain.household import Household, validate_household
from services.intake.domain.region import (
    Region,
    canonical_municipalities,
    validate_municipalities,
)
from services.intake.domain.risks import Risk, normalised_risks, validate_risks

SUPPORT_HOURS_MAX = 40
PROVIDER_MAX = 200
NOTES_MAX = 10_000


class AccessibilityNeed(StrEnum):
    GROUND_FLOOR = "ground_floor"  # gelijkvloers
    LIFT = "lift"
    WHEELCHAIR = "wheelchair"  # rolstoeltoegankelijk
    OTHER = "other"  # described in the notes, which stay inside intake


class ClusterPreference(StrEnum):
    """Near a support point or spread through the region."""

    CLUSTER = "cluster"  # "opgave 1": near a support point, with others
    SCATTERED = "scattered"  # "gespikkeld", "opgave 2": an ordinary street in the region
    NO_PREFERENCE = "no_preference"


class Perspective(StrEnum):
    """What the client aims for: a home to settle in, or a step in between."""

    SETTLE_LONG_TERM = "settle_long_term"
    TEMPORARY = "temporary"


class Urgency(StrEnum):
    """How urgent the move is. Ordered: LOW < NORMAL < HIGH < URGENT.

    The comparisons are defined on rank, not on the text: as plain strings "high" < "low".
    """

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return list(Urgency).index(self)

    # Comparing with plain text is refused rather than falling back to str's alphabetical order.
    def __lt__(self, other: object) -> bool:
        return self.rank < _urgency_rank(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= _urgency_rank(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > _urgency_rank(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= _urgency_rank(other)


def _urgency_rank(other: object) -> int:
    if not isinstance(other, Urgency):
        raise TypeError(f"an Urgency can only be compared with an Urgency, not {type(other)}")
    return other.rank


@dataclass(frozen=True, slots=True)
class SupportNeed:
    """Ambulant support (ambulante begeleiding) the client needs after the move, whole hours."""

    hours_per_week: int = 0
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class IntakeDetails:
    """Everything the caseworker records.

    Money is in euro cents; `household.adults` counts the client.
    """

    client: PersonalData
    household: Household
    monthly_income_cents: int  # net monthly income of the household
    ready_to_move_on: date
    consent_given_on: date | None  # no consent, no intake
    urgency: Urgency = Urgency.NORMAL
    max_rent_override_cents: int | None = None
    accessibility: frozenset[AccessibilityNeed] = frozenset()
    preferred_municipalities: tuple[str, ...] = ()  # empty: anywhere in the region
    excluded_municipalities: tuple[str, ...] = ()
    cluster_preference: ClusterPreference = ClusterPreference.NO_PREFERENCE
    perspective: Perspective = Perspective.SETTLE_LONG_TERM
    support: SupportNeed = field(default_factory=SupportNeed)
    risks: tuple[Risk, ...] = ()
    notes: str = field(default="", repr=False)  # may hold anything: kept out of logs


@dataclass(frozen=True, slots=True)
class IntakeRules:
    """The region's parameters, passed in on every change so none is read from a global."""

    region: Region
    rent_limits: RentLimits


def validate_details(
    details: IntakeDetails,
    rules: IntakeRules,
    today: date,
    previous: IntakeDetails | None = None,
) -> list[FieldError]:
    """All problems with `details`. `previous` is the stored version when this is an update.

    Dates relative to today are only checked when they are new or changed: a ready-to-move date
    that was fine when entered must not block an unrelated update weeks later.
    """
    errors = validate_personal_data(details.client, today, details.ready_to_move_on)
    errors += validate_household(details.household)
    errors += validate_money(
        details.monthly_income_cents, details.max_rent_override_cents, rules.rent_limits
    )
    errors += validate_municipalities(
        details.preferred_municipalities, details.excluded_municipalities, rules.region
    )
    errors += _support_errors(details.support)
    errors += validate_risks(details.risks)
    errors += _ready_date_errors(details, today, previous)
    errors += _consent_errors(details, today, previous)
    errors += _notes_errors(details.notes)
    return errors


def normalise_details(details: IntakeDetails, region: Region) -> IntakeDetails:
    """Canonical form of valid details; call after `validate_details` found nothing."""
    provider = (details.support.provider or "").strip() or None
    return replace(
        details,
        client=details.client.normalised(),
        preferred_municipalities=canonical_municipalities(details.preferred_municipalities, region),
        excluded_municipalities=canonical_municipalities(details.excluded_municipalities, region),
        support=SupportNeed(details.support.hours_per_week, provider),
        risks=normalised_risks(details.risks),
        notes=details.notes.strip(),
    )


def _support_errors(support: SupportNeed) -> list[FieldError]:
    errors: list[FieldError] = []
    if not 0 <= support.hours_per_week <= SUPPORT_HOURS_MAX:
        errors.append(
            FieldError("support.hours_per_week", f"must be between 0 and {SUPPORT_HOURS_MAX}")
        )
    provider = (support.provider or "").strip()
    if support.hours_per_week > 0 and not provider:
        errors.append(
            FieldError("support.provider", "name who gives the ambulant support when hours > 0")
        )
    if len(provider) > PROVIDER_MAX:
        errors.append(FieldError("support.provider", f"is longer than {PROVIDER_MAX} characters"))
    return errors


def _ready_date_errors(
    details: IntakeDetails, today: date, previous: IntakeDetails | None
) -> list[FieldError]:
    unchanged = previous is not None and previous.ready_to_move_on == details.ready_to_move_on
    if unchanged or details.ready_to_move_on >= today:
        return []
    return [FieldError("ready_to_move_on", "cannot be in the past; use today if ready now")]


def _consent_errors(
    details: IntakeDetails, today: date, previous: IntakeDetails | None
) -> list[FieldError]:
    given_on = details.consent_given_on
    if given_on is None:
        return [
            FieldError(
                "consent_given_on",
                "the client's consent is required (no consent, no intake); "
                "record the date it was given",
            )
        ]
    unchanged = previous is not None and previous.consent_given_on == given_on
    if not unchanged and given_on > today:
        return [FieldError("consent_given_on", "cannot be in the future")]
    return []


def _notes_errors(notes: str) -> list[FieldError]:
    if len(notes.strip()) > NOTES_MAX:
        return [FieldError("notes", f"is longer than {NOTES_MAX} characters")]
    return []
