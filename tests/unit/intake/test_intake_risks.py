"""Risks and preconditions: each listed risk needs an agreed mitigation and who carries it."""

import pytest

from services.intake.domain.risks import Risk, RiskCategory, erased_risks, validate_risks


def test_a_risk_with_mitigation_and_carrier_is_accepted() -> None:
    risks = (Risk(RiskCategory.DEBTS, "Budget management for 12 months", "Municipal debt service"),)
    assert validate_risks(risks) == []


def test_no_risks_at_all_is_accepted() -> None:
    assert validate_risks(()) == []


@pytest.mark.parametrize("mitigation", ["", "   "])
def test_a_risk_without_mitigation_is_refused(mitigation: str) -> None:
    errors = validate_risks((Risk(RiskCategory.ADDICTION, mitigation, "Support provider"),))
    assert [(e.field, e.message) for e in errors] == [
        ("risks[0].mitigation", "an agreed mitigation is required for every risk listed")
    ]


def test_a_risk_without_who_carries_it_is_refused() -> None:
    risks = (
        Risk(RiskCategory.DEBTS, "Budget management", "Debt service"),
        Risk(RiskCategory.NUISANCE_HISTORY, "Behaviour agreement with the corporation", ""),
    )
    assert [e.field for e in validate_risks(risks)] == ["risks[1].carried_by"]


def test_overlong_risk_texts_are_refused() -> None:
    errors = validate_risks((Risk(RiskCategory.OTHER, "x" * 1001, "y" * 201),))
    assert [e.field for e in errors] == ["risks[0].mitigation", "risks[0].carried_by"]


def test_categories_are_the_five_agreed_ones() -> None:
    assert [c.value for c in RiskCategory] == [
        "debts",
        "addiction",
        "nuisance_history",
        "psychiatric",
        "other",
    ]


def test_erasing_keeps_categories_and_blanks_the_texts() -> None:
    erased = erased_risks((Risk(RiskCategory.PSYCHIATRIC, "Weekly contact", "FACT team"),))
    assert erased == (Risk(RiskCategory.PSYCHIATRIC, "", ""),)
