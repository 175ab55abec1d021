"""The privacy boundary: what leaves the intake service, and in which units."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from intake_fakes import T0, context, details

from services.intake.application.integration_events import (
    cents,
    client_responded,
    contract_problems,
    euros,
    intake_submitted,
    intake_updated,
    intake_withdrawn,
    profile_document,
)
from services.intake.domain.household import Household
from services.intake.domain.intake import ClientDeclineReason, Intake, WithdrawalReason
from services.intake.domain.pseudonym import client_ref
from services.intake.domain.risks import Risk, RiskCategory

CTX = context()
PERSONAL = ("Maria", "Pietersen", "111222333", "1979-05-17", "0612345678", "maria@example.org",
            "Opvangstraat", "mornings", "K-1")


def an_intake() -> Intake:
    intake = Intake.open(
        case_id="6f1c1d2e-1111-4a4a-8b8b-000000000001",
        client_ref=client_ref(b"k" * 32, "111222333", "m01:K-1"),
        member_id="m01", caseworker_id="cw@m01",
        details=details(risks=(Risk(RiskCategory.ADDICTION, "weekly contact with the FACT team",
                                    "Maria's sister Anna"),)),
        rules=CTX.rules, now=T0,
    )
    intake.submit(T0)
    return intake


def test_no_event_carries_a_name_bsn_birth_date_contact_detail_or_note() -> None:
    intake = an_intake()
    before = profile_document(intake.matching_view())
    intake.update(replace(intake.details, monthly_income_cents=1), CTX.rules, T0)
    updated = intake_updated(intake, before)
    assert updated is not None
    intake.propose("match-1", T0 + timedelta(days=1))
    intake.client_declines("match-1", ClientDeclineReason.LOCATION, T0, "Maria hates the area")
    intake.withdraw(WithdrawalReason.DECEASED, T0 + timedelta(days=2))
    events = [intake_submitted(intake), updated, intake_withdrawn(intake),
              client_responded(intake, "match-1", ClientDeclineReason.LOCATION)]
    for event in events:
        text = event.model_dump_json()
        for value in PERSONAL:
            assert value not in text, (type(event).__name__, value)
        assert "carried_by" not in text and "Anna" not in text


def test_money_is_cents_inside_and_euros_on_the_wire() -> None:
    assert euros(68_296) == Decimal("682.96") and euros(5) == Decimal("0.05")
    assert cents(Decimal("682.96")) == 68_296 and cents(Decimal("1600")) == 160_000
    profile = profile_document(an_intake().matching_view())
    assert profile["monthly_income"] == "1450.00" and profile["max_rent"] == "731.93"
    assert profile["ready_from"] == (T0.date() + timedelta(days=30)).isoformat()


def test_an_update_matching_cannot_see_is_not_announced() -> None:
    intake = an_intake()
    before = profile_document(intake.matching_view())
    new_risk = replace(intake.details.risks[0], carried_by="the shelter")
    intake.update(replace(intake.details, risks=(new_risk,)), CTX.rules, T0)
    assert intake_updated(intake, before) is None


def test_contract_limits_are_reported_as_field_errors() -> None:
    long = Risk(RiskCategory.DEBTS, "x" * 501, "debt service")
    fine = Risk(RiskCategory.DEBTS, "x" * 500, "debt service")
    assert [e.field for e in contract_problems(details(risks=(fine, long)))] \
        == ["risks[1].mitigation"]
    huge = details(household=Household(adults=3, children=12))  # 1 + 1 + 6 = 8: fits
    assert contract_problems(huge) == []
    huger = details(household=Household(adults=4, children=12))
    assert [e.field for e in contract_problems(huger)] == ["household.bedrooms_override"]
    rich = details(monthly_income_cents=1_000_000_000)
    assert [e.field for e in contract_problems(rich)] == ["monthly_income_cents"]
    for error in contract_problems(rich) + contract_problems(huger):
        assert "1000000000" not in error.message
