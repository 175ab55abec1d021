"""Risks and preconditions (risico's en randvoorwaarden), mapped before a home is sought.

Each risk the intaker, client and caseworker identify comes with the mitigation they agreed on and
who carries it. A risk without an agreed mitigation is not ready to be matched: the corporation
would be asked to accept a risk nobody has taken on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.intake.domain.errors import FieldError

MITIGATION_MAX = 1000
CARRIED_BY_MAX = 200


class RiskCategory(StrEnum):
    DEBTS = "debts"  # schulden
    ADDICTION = "addiction"  # verslaving
    NUISANCE_HISTORY = "nuisance_history"  # eerdere overlast
    PSYCHIATRIC = "psychiatric"  # psychiatrische problematiek
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Risk:
    """A risk with its agreed mitigation and the organisation or role that carries it.

    The mitigation text is shared with matching and the corporation, so it describes the agreed
    precondition (e.g. "budget management by the municipal debt service for 12 months"), never a
    diagnosis or a name.
    """

    category: RiskCategory
    mitigation: str
    carried_by: str


def validate_risks(risks: tuple[Risk, ...]) -> list[FieldError]:
    errors: list[FieldError] = []
    for index, risk in enumerate(risks):
        errors += _risk_errors(f"risks[{index}]", risk)
    return errors


def _risk_errors(path: str, risk: Risk) -> list[FieldError]:
    mitigation = _text_errors(
        f"{path}.mitigation",
        risk.mitigation,
        MITIGATION_MAX,
        "an agreed mitigation is required for every risk listed",
    )
    carried_by = _text_errors(
        f"{path}.carried_by",
        risk.carried_by,
        CARRIED_BY_MAX,
        "say who carries the mitigation (organisation or role)",
    )
    return mitigation + carried_by


def _text_errors(path: str, text: str, limit: int, when_empty: str) -> list[FieldError]:
    if not text.strip():
        return [FieldError(path, when_empty)]
    if len(text.strip()) > limit:
        return [FieldError(path, f"is longer than {limit} characters")]
    return []


def normalised_risks(risks: tuple[Risk, ...]) -> tuple[Risk, ...]:
    return tuple(
        Risk(risk.category, risk.mitigation.strip(), risk.carried_by.strip()) for risk in risks
    )


def erased_risks(risks: tuple[Risk, ...]) -> tuple[Risk, ...]:
    """Keep the categories for statistics; blank the free text, which may identify the client."""
    return tuple(Risk(risk.category, "", "") for risk in risks)
