"""Domain → integration events: the privacy boundary of the intake service.

The domain knows the client's name; the events on Kafka know only the pseudonymous
`client_ref`, the member organisation and the matching profile (DESIGN.md, "Services").
Everything that leaves the service is built here and nowhere else, from the domain's
`MatchingView`, which has no field for a name, a date of birth, contact details, a BSN,
children's ages, the support provider, the perspective or notes.

Money is whole cents in the domain and euros with two decimals on the wire.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from services.intake.domain.details import IntakeDetails
from services.intake.domain.errors import FieldError
from services.intake.domain.household import derived_bedrooms, validate_household
from services.intake.domain.intake import ClientDeclineReason, Intake, WithdrawalReason
from services.intake.domain.matching_view import MatchingView
from services.intake.domain.risks import MITIGATION_MAX
from shared.events.intake import (
    ClientDeclineReason as WireDeclineReason,
)
from shared.events.intake import (
    ClientResponded,
    IntakeSubmitted,
    IntakeUpdated,
    IntakeWithdrawn,
    MatchingProfile,
)

# Limits of the agreed wire contract (shared/events) that are tighter than the domain's.
WIRE_BEDROOMS_MAX = 8
WIRE_MITIGATION_MAX = 500
WIRE_MONEY_MAX_CENTS = 999_999_999  # Money: at most 9 digits with 2 decimals

# Why a case was withdrawn, in the wire vocabulary. Matching needs only *that* it was
# withdrawn; lost contact and death stay inside intake (they are counted in its metrics).
WITHDRAWAL_ON_THE_WIRE: dict[
    WithdrawalReason, Literal["housed_elsewhere", "client_withdrew", "no_longer_eligible", "other"]
] = {
    WithdrawalReason.CLIENT_REQUEST: "client_withdrew",
    WithdrawalReason.HOUSED_ELSEWHERE: "housed_elsewhere",
    WithdrawalReason.NO_LONGER_ELIGIBLE: "no_longer_eligible",
    WithdrawalReason.LOST_CONTACT: "other",
    WithdrawalReason.DECEASED: "other",
    WithdrawalReason.OTHER: "other",
}

DECLINE_ON_THE_WIRE: dict[ClientDeclineReason, WireDeclineReason] = {
    ClientDeclineReason.LOCATION: "location",
    ClientDeclineReason.HOME_UNSUITABLE: "home_unsuitable",
    ClientDeclineReason.TOO_EXPENSIVE: "too_expensive",
    ClientDeclineReason.NOT_READY: "not_ready",
    ClientDeclineReason.OTHER: "other",
}


def euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def profile_document(view: MatchingView) -> dict[str, Any]:
    """The matching profile in wire shape, JSON-ready, not validated: an erased case has
    blank risk texts, which the wire model would refuse. For storage and the API."""
    return {
        "household": {"adults": view.adults, "children": view.children},
        "required_bedrooms": view.required_bedrooms,
        "monthly_income": str(euros(view.monthly_income_cents)),
        "max_rent": str(euros(view.max_affordable_rent_cents)),
        "accessibility_needs": [str(need) for need in view.accessibility_needs],
        "preferred_municipalities": list(view.preferred_municipalities),
        "excluded_municipalities": list(view.excluded_municipalities),
        "cluster_preference": str(view.cluster_preference),
        "support_hours_per_week": view.support_hours_per_week,
        "risks": [
            {"category": str(risk.category), "mitigation": risk.mitigation}
            for risk in view.risks
        ],
        "urgency": str(view.urgency),
        "ready_from": view.ready_to_move_on.isoformat(),
    }


def matching_profile(view: MatchingView) -> MatchingProfile:
    return MatchingProfile.model_validate(profile_document(view))


def intake_submitted(intake: Intake) -> IntakeSubmitted:
    return IntakeSubmitted(
        client_ref=intake.client_ref,
        member_id=intake.member_id,
        profile=matching_profile(intake.matching_view()),
        consent=True,
    )


def intake_updated(intake: Intake, before: dict[str, Any]) -> IntakeUpdated | None:
    """`IntakeUpdated` naming the wire fields that differ from `before`; None when none do
    (a change matching does not see, e.g. who carries a risk's mitigation)."""
    after = profile_document(intake.matching_view())
    changed = [name for name in MatchingProfile.model_fields if before.get(name) != after[name]]
    if not changed:
        return None
    return IntakeUpdated(
        client_ref=intake.client_ref,
        member_id=intake.member_id,
        changed=changed,
        profile=MatchingProfile.model_validate(after),
    )


def intake_withdrawn(intake: Intake) -> IntakeWithdrawn:
    assert intake.withdrawal_reason is not None
    return IntakeWithdrawn(
        client_ref=intake.client_ref,
        member_id=intake.member_id,
        reason=WITHDRAWAL_ON_THE_WIRE[intake.withdrawal_reason],
    )


def client_responded(
    intake: Intake, match_id: str, reason: ClientDeclineReason | None
) -> ClientResponded:
    """The client's answer; the caseworker's note about it stays inside intake."""
    return ClientResponded(
        match_id=match_id,
        member_id=intake.member_id,
        response="accept" if reason is None else "decline",
        reason=None if reason is None else DECLINE_ON_THE_WIRE[reason],
    )


def contract_problems(details: IntakeDetails) -> list[FieldError]:
    """What the domain accepts but the agreed wire contract cannot carry, as field errors, so
    the caseworker hears about it with the rest instead of the event failing later."""
    errors: list[FieldError] = []
    for index, risk in enumerate(details.risks):
        if WIRE_MITIGATION_MAX < len(risk.mitigation.strip()) <= MITIGATION_MAX:
            errors.append(FieldError(
                f"risks[{index}].mitigation",
                f"is longer than {WIRE_MITIGATION_MAX} characters, the most a corporation "
                "receives; shorten it",
            ))
    household = details.household
    if household.bedrooms_override is None and not validate_household(household):
        needed = derived_bedrooms(household.adults, household.children)
        if needed > WIRE_BEDROOMS_MAX:
            errors.append(FieldError(
                "household.bedrooms_override",
                f"this household needs more bedrooms than matching searches for "
                f"({WIRE_BEDROOMS_MAX}); set an override",
            ))
    if details.monthly_income_cents > WIRE_MONEY_MAX_CENTS:
        errors.append(FieldError("monthly_income_cents", "is more than matching can take"))
    return errors
