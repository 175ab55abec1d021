"""The matching view: the only part of an intake that leaves the intake service.

It carries what matching needs to find and rank a home, under the pseudonymous `client_ref`.
It never carries the name, date of birth, contact details, BSN, children's ages, the support
provider, the client's perspective or the caseworker's notes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from services.intake.domain.details import (
    AccessibilityNeed,
    ClusterPreference,
    IntakeDetails,
    Urgency,
)
from services.intake.domain.risks import Risk

# Identify the case rather than describe the need; never reported as "changed".
IDENTITY_FIELDS = frozenset({"case_id", "client_ref", "member_id", "waiting_since"})


@dataclass(frozen=True, slots=True)
class MatchingView:
    case_id: str
    client_ref: str
    member_id: str
    adults: int
    children: int
    required_bedrooms: int
    monthly_income_cents: int
    max_affordable_rent_cents: int
    accessibility_needs: tuple[AccessibilityNeed, ...]  # sorted, so equal needs compare equal
    preferred_municipalities: tuple[str, ...]
    excluded_municipalities: tuple[str, ...]
    cluster_preference: ClusterPreference
    support_hours_per_week: int
    risks: tuple[Risk, ...]  # category, agreed mitigation, who carries it
    urgency: Urgency
    ready_to_move_on: date
    consent_given: bool
    waiting_since: datetime | None  # first submission; matching ranks by waiting time


MATCHING_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(MatchingView))


@dataclass(frozen=True, slots=True)
class CaseIdentity:
    case_id: str
    client_ref: str
    member_id: str
    waiting_since: datetime | None


def build_matching_view(
    identity: CaseIdentity,
    details: IntakeDetails,
    required_bedrooms: int,
    max_affordable_rent_cents: int,
) -> MatchingView:
    return MatchingView(
        case_id=identity.case_id,
        client_ref=identity.client_ref,
        member_id=identity.member_id,
        adults=details.household.adults,
        children=details.household.children,
        required_bedrooms=required_bedrooms,
        monthly_income_cents=details.monthly_income_cents,
        max_affordable_rent_cents=max_affordable_rent_cents,
        accessibility_needs=tuple(sorted(details.accessibility)),
        preferred_municipalities=details.preferred_municipalities,
        excluded_municipalities=details.excluded_municipalities,
        cluster_preference=details.cluster_preference,
        support_hours_per_week=details.support.hours_per_week,
        risks=details.risks,
        urgency=details.urgency,
        ready_to_move_on=details.ready_to_move_on,
        consent_given=details.consent_given_on is not None,
        waiting_since=identity.waiting_since,
    )


def changed_matching_fields(before: MatchingView, after: MatchingView) -> dict[str, object]:
    """Field → new value for every matching field that differs; identity fields are left out."""
    changes: dict[str, object] = {}
    for name in MATCHING_FIELDS:
        new_value = getattr(after, name)
        if name not in IDENTITY_FIELDS and getattr(before, name) != new_value:
            changes[name] = new_value
    return changes
