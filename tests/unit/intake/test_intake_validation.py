"""Validation of a whole intake: every problem reported at once, no personal value echoed."""

import operator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.intake.domain.affordability import RENT_LIMITS_2025
from services.intake.domain.client import Contact, PersonalData
from services.intake.domain.details import (
    AccessibilityNeed,
    IntakeDetails,
    IntakeRules,
    SupportNeed,
    Urgency,
)
from services.intake.domain.errors import FieldError, IntakeInvalid
from services.intake.domain.household import Household
from services.intake.domain.intake import Intake, IntakeStatus
from services.intake.domain.pseudonym import client_ref
from services.intake.domain.region import U16
from services.intake.domain.risks import Risk, RiskCategory

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
RULES = IntakeRules(region=U16, rent_limits=RENT_LIMITS_2025)
REF = client_ref(b"k" * 32, "111222333", "")


def details(**changes: object) -> IntakeDetails:
    base = IntakeDetails(
        client=PersonalData(
            name="Jan Jansen",
            date_of_birth=date(1985, 6, 15),
            bsn="111222333",
            contact=Contact(phone="06 12345678", email="jan@example.org"),
        ),
        household=Household(adults=1),
        monthly_income_cents=125_000,
        ready_to_move_on=TODAY + timedelta(days=14),
        consent_given_on=TODAY,
        urgency=Urgency.HIGH,
        accessibility=frozenset({AccessibilityNeed.GROUND_FLOOR}),
        preferred_municipalities=("Utrecht",),
        excluded_municipalities=("Lopik",),
        support=SupportNeed(hours_per_week=4, provider="Lister"),
        risks=(Risk(RiskCategory.DEBTS, "Budget management for a year", "Debt service"),),
        notes="Prefers a quiet street.",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def open_with(data: IntakeDetails, **identity: str) -> Intake:
    ids = {"case_id": "case-1", "client_ref": REF, "member_id": "m01", "caseworker_id": "cw-7"}
    ids.update(identity)
    return Intake.open(details=data, rules=RULES, now=NOW, **ids)


def invalid_fields(data: IntakeDetails, **identity: str) -> list[str]:
    with pytest.raises(IntakeInvalid) as raised:
        open_with(data, **identity)
    return [error.field for error in raised.value.errors]


def test_a_complete_intake_opens_as_a_draft() -> None:
    intake = open_with(details())
    assert intake.status is IntakeStatus.DRAFT
    assert intake.opened_at == NOW
    assert intake.required_bedrooms == 1
    assert intake.max_affordable_rent_cents == 68_296


def test_values_are_stored_in_canonical_form() -> None:
    intake = open_with(
        details(
            preferred_municipalities=(" utrecht", "Zeist", "zeist"),
            client=PersonalData(name=" Jan ", date_of_birth=date(1985, 6, 15), bsn="111.222.333"),
        )
    )
    assert intake.details.preferred_municipalities == ("Utrecht", "Zeist")
    assert intake.details.client.bsn == "111222333"
    assert intake.details.client.name == "Jan"


def test_all_field_errors_are_reported_together() -> None:
    bad = details(
        client=PersonalData(name="", date_of_birth=date(1985, 6, 15), bsn="123456789"),
        household=Household(adults=0, children=1),
        monthly_income_cents=-5,
        ready_to_move_on=TODAY - timedelta(days=1),
        consent_given_on=None,
        preferred_municipalities=("Amsterdam",),
        support=SupportNeed(hours_per_week=41, provider="Lister"),
        risks=(Risk(RiskCategory.ADDICTION, "", "Support provider"),),
    )
    assert invalid_fields(bad, member_id="") == [
        "client.name",
        "client.bsn",
        "household.adults",
        "monthly_income_cents",
        "preferred_municipalities[0]",
        "support.hours_per_week",
        "risks[0].mitigation",
        "ready_to_move_on",
        "consent_given_on",
        "member_id",
    ]


def test_error_messages_never_contain_the_personal_values() -> None:
    secret_name = "Wilhelmina\tSecretname"
    bad = details(
        client=PersonalData(
            name=secret_name,
            date_of_birth=date(2031, 7, 19),
            bsn="987654321",
            contact=Contact(phone="555", email="secret.mail@nowhere"),
        )
    )
    with pytest.raises(IntakeInvalid) as raised:
        open_with(bad)
    text = str(raised.value)
    assert len(raised.value.errors) == 5
    for value in ["Wilhelmina", "Secretname", "2031", "987654321", "555", "secret.mail"]:
        assert value not in text


def test_the_error_text_names_field_and_problem() -> None:
    bad = details(client=PersonalData(name="Jan", date_of_birth=date(1985, 6, 15), bsn="123456789"))
    with pytest.raises(IntakeInvalid) as raised:
        open_with(bad)
    assert raised.value.errors == [
        FieldError("client.bsn", "fails the 11-check (elfproef); check the digits")
    ]
    assert str(raised.value) == "client.bsn: fails the 11-check (elfproef); check the digits"


def test_no_consent_no_intake() -> None:
    assert invalid_fields(details(consent_given_on=None)) == ["consent_given_on"]


def test_consent_cannot_be_recorded_for_a_future_date() -> None:
    assert invalid_fields(details(consent_given_on=TODAY + timedelta(days=1))) == [
        "consent_given_on"
    ]


def test_a_ready_to_move_date_in_the_past_is_refused() -> None:
    assert invalid_fields(details(ready_to_move_on=TODAY - timedelta(days=1))) == [
        "ready_to_move_on"
    ]


def test_ready_to_move_today_is_accepted() -> None:
    assert open_with(details(ready_to_move_on=TODAY)).details.ready_to_move_on == TODAY


def test_a_municipality_outside_the_region_is_refused() -> None:
    assert invalid_fields(details(preferred_municipalities=("Enschede",))) == [
        "preferred_municipalities[0]"
    ]


def test_a_municipality_both_preferred_and_excluded_is_refused() -> None:
    clash = details(preferred_municipalities=("Utrecht",), excluded_municipalities=("utrecht",))
    assert invalid_fields(clash) == ["excluded_municipalities[0]"]


def test_a_risk_without_mitigation_is_refused() -> None:
    assert invalid_fields(details(risks=(Risk(RiskCategory.DEBTS, " ", "Debt service"),))) == [
        "risks[0].mitigation"
    ]


def test_children_without_adults_are_refused() -> None:
    assert invalid_fields(details(household=Household(adults=0, children=2))) == [
        "household.adults"
    ]


@pytest.mark.parametrize("hours", [-1, 41])
def test_support_hours_must_be_between_0_and_40(hours: int) -> None:
    assert invalid_fields(details(support=SupportNeed(hours, "Lister"))) == [
        "support.hours_per_week"
    ]


def test_support_hours_need_a_provider_but_no_support_needs_none() -> None:
    assert invalid_fields(details(support=SupportNeed(2, None))) == ["support.provider"]
    assert open_with(details(support=SupportNeed(0, None))).details.support.provider is None


def test_overlong_notes_are_refused() -> None:
    assert invalid_fields(details(notes="x" * 10_001)) == ["notes"]


def test_a_rent_override_above_the_social_rent_ceiling_is_refused() -> None:
    assert invalid_fields(details(max_rent_override_cents=90_008)) == ["max_rent_override_cents"]


def test_a_raw_bsn_is_refused_as_client_ref() -> None:
    assert invalid_fields(details(), client_ref="111222333") == ["client_ref"]


def test_case_member_and_caseworker_ids_are_required() -> None:
    assert invalid_fields(details(), case_id=" ", member_id="", caseworker_id="") == [
        "case_id",
        "member_id",
        "caseworker_id",
    ]


def test_urgency_is_ordered_from_low_to_urgent() -> None:
    shuffled = [Urgency.HIGH, Urgency.LOW, Urgency.URGENT, Urgency.NORMAL]
    assert sorted(shuffled) == [Urgency.LOW, Urgency.NORMAL, Urgency.HIGH, Urgency.URGENT]
    assert Urgency.HIGH > Urgency.LOW  # as plain text "high" < "low"
    assert Urgency.URGENT >= Urgency.URGENT
    assert Urgency.NORMAL <= Urgency.HIGH
    assert max(shuffled) is Urgency.URGENT


def test_urgency_does_not_compare_with_plain_text() -> None:
    with pytest.raises(TypeError):
        _ = Urgency.HIGH < "low"
    with pytest.raises(TypeError):
        operator.lt("low", Urgency.HIGH)
