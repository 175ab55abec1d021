"""Warm handover (warme overdracht): useful to the corporation, free of identifying data."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from matching_builders import make_candidate, make_home

from services.matching.domain.candidate import (
    AccessibilityNeed,
    Candidate,
    ClusterPreference,
    Risk,
    RiskCategory,
)
from services.matching.domain.handover import HandoverNote, describe_household, warm_handover
from services.matching.domain.home import Contract

FORBIDDEN_FIELD_WORDS = (
    "name",
    "bsn",
    "birth",
    "dob",
    "phone",
    "email",
    "mail",
    "address",
    "street",
    "contact",
    "income",
)


def a_candidate() -> Candidate:
    candidate: Candidate = make_candidate(
        case_id="case-7f3e",
        client_ref="ref-9a8b7c",
        member_id="m07",
        adults=1,
        children=2,
        required_bedrooms=2,
        monthly_income=Decimal("1432.17"),
        max_rent=Decimal("745.00"),
        support_hours=4,
        cluster_preference=ClusterPreference.SCATTERED,
        accessibility_needs=frozenset({AccessibilityNeed.GROUND_FLOOR}),
        risks=(
            Risk(RiskCategory.DEBTS, "Budget management (budgetbeheer) arranged."),
            Risk(RiskCategory.ADDICTION, "Weekly contact with the addiction care team."),
        ),
    )
    return candidate


def test_handover_describes_household_support_risks_and_setting() -> None:
    note = warm_handover(a_candidate(), make_home(bedrooms=2, near_support_point=False))
    assert note.household == "1 adult and 2 children"
    assert note.support_hours_per_week == 4
    assert note.member_organisation == "m07"
    assert [(r.category, r.mitigation) for r in note.risks] == [
        (RiskCategory.DEBTS, "Budget management (budgetbeheer) arranged."),
        (RiskCategory.ADDICTION, "Weekly contact with the addiction care team."),
    ]
    assert note.cluster_preference is ClusterPreference.SCATTERED
    assert "scattered" in note.setting
    assert note.accessibility == ("needs a ground-floor home or a lift",)
    text = note.as_text()
    assert "4 hours a week of ambulant support" in text
    assert "member organisation m07" in text
    assert "Debts: Budget management" in text
    assert "Not near a support point" in text


def test_handover_describes_the_home_and_an_intermediary_contract_with_its_omklap() -> None:
    home = make_home(
        bedrooms=2,
        municipality="Hengelo",
        postcode4="7553",
        contract=Contract.intermediary(omklap_after_months=12),
    )
    text = warm_handover(a_candidate(), home).as_text()
    assert "In Hengelo, postcode area 7553." in text
    assert "after 12 months (omklap)" in text
    assert "2 bedrooms; the household needs 2." in text


def test_handover_note_has_no_identifying_fields() -> None:
    names = [field.name for field in dataclasses.fields(HandoverNote)]
    for name in names:
        assert not any(word in name for word in FORBIDDEN_FIELD_WORDS), name


def test_candidate_model_cannot_even_hold_name_bsn_birth_date_or_contact_details() -> None:
    names = [field.name for field in dataclasses.fields(Candidate)]
    identifying = ("name", "bsn", "birth", "dob", "phone", "email", "address", "contact")
    for name in names:
        assert not any(word in name for word in identifying), name


def test_handover_text_leaves_out_case_id_client_ref_and_money_figures_of_the_client() -> None:
    candidate = a_candidate()
    text = warm_handover(candidate, make_home(bedrooms=2)).as_text()
    for secret in ("case-7f3e", "ref-9a8b7c", "1432", "745"):
        assert secret not in text


def test_handover_says_so_when_no_risks_were_mapped() -> None:
    text = warm_handover(make_candidate(), make_home()).as_text()
    assert "none mapped" in text
    assert "1 adult." in text


def test_household_description_uses_singular_and_plural() -> None:
    assert describe_household(1, 0) == "1 adult"
    assert describe_household(2, 1) == "2 adults and 1 child"


def test_handover_flags_an_accessibility_need_matching_could_not_check() -> None:
    candidate = make_candidate(accessibility_needs=frozenset({AccessibilityNeed.OTHER}))
    note = warm_handover(candidate, make_home())
    assert note.accessibility == (
        "has a further accessibility need that the caseworker will explain before you decide",
    )
    assert "Step-free" not in note.as_text()
