"""Eligibility rules: each rule passes and fails on its own, and evaluate() lists them all."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from matching_builders import POLICY, make_candidate, make_home

from services.matching.domain.affordability_policy import PASSEND_TOEWIJZEN_2026
from services.matching.domain.candidate import (
    AccessibilityNeed,
    Candidate,
    CandidateStatus,
    ClusterPreference,
)
from services.matching.domain.eligibility import (
    RULES,
    EligibilityPolicy,
    EligibilityResult,
    RuleCode,
    evaluate,
)
from services.matching.domain.errors import InvalidPolicy
from services.matching.domain.home import AccessibilityFeature, Home

LAGE = PASSEND_TOEWIJZEN_2026.rows[0].rent_limit
HOGE = PASSEND_TOEWIJZEN_2026.rows[2].rent_limit
LOW_INCOME = Decimal("1500.00")  # 18,000 a year: under every default income limit
HIGH_INCOME = Decimal("4500.00")  # 54,000 a year: above every default income limit


def codes(
    home: Home | None = None,
    candidate: Candidate | None = None,
    policy: EligibilityPolicy = POLICY,
    declined: frozenset[str] = frozenset(),
) -> set[RuleCode]:
    result = evaluate(home or make_home(), candidate or make_candidate(), policy, declined)
    return set(result.codes)


def test_a_fitting_candidate_is_eligible_with_no_failures() -> None:
    result = evaluate(make_home(), make_candidate(), POLICY, frozenset())
    assert result == EligibilityResult(eligible=True, failures=())


# --- household fits ---------------------------------------------------------------------


def test_household_needing_more_bedrooms_than_the_home_has_is_not_eligible() -> None:
    assert codes(make_home(bedrooms=1), make_candidate(required_bedrooms=2)) == {
        RuleCode.TOO_FEW_BEDROOMS
    }


def test_household_fits_a_home_with_exactly_the_required_bedrooms() -> None:
    assert codes(make_home(bedrooms=2), make_candidate(required_bedrooms=2)) == set()


def test_spare_bedrooms_are_allowed_when_the_region_sets_no_under_occupancy_limit() -> None:
    assert codes(make_home(bedrooms=4), make_candidate(required_bedrooms=1)) == set()


def test_region_can_limit_spare_bedrooms_against_under_occupancy() -> None:
    policy = EligibilityPolicy(affordability=PASSEND_TOEWIJZEN_2026, max_surplus_bedrooms=1)
    assert codes(make_home(bedrooms=2), make_candidate(required_bedrooms=1), policy) == set()
    assert codes(make_home(bedrooms=3), make_candidate(required_bedrooms=1), policy) == {
        RuleCode.TOO_MANY_BEDROOMS
    }


def test_a_studio_suits_a_household_that_needs_no_separate_bedroom() -> None:
    assert codes(make_home(bedrooms=0), make_candidate(required_bedrooms=0)) == set()


# --- affordability (passend toewijzen) and the client's maximum ---------------------------


def test_low_income_single_is_not_given_a_rent_above_the_lage_aftoppingsgrens() -> None:
    home = make_home(rent=LAGE + Decimal("0.01"))
    candidate = make_candidate(monthly_income=LOW_INCOME, max_rent=Decimal("900"))
    assert codes(home, candidate) == {RuleCode.RENT_ABOVE_AFFORDABILITY_LIMIT}


def test_rent_exactly_at_the_aftoppingsgrens_is_passend() -> None:
    home = make_home(rent=LAGE)
    candidate = make_candidate(monthly_income=LOW_INCOME, max_rent=Decimal("900"))
    assert codes(home, candidate) == set()


def test_low_income_household_of_three_may_have_a_rent_up_to_the_hoge_aftoppingsgrens() -> None:
    candidate = make_candidate(
        adults=1,
        children=2,
        required_bedrooms=2,
        monthly_income=LOW_INCOME,
        max_rent=Decimal("900"),
    )
    assert codes(make_home(bedrooms=2, rent=HOGE), candidate) == set()
    assert codes(make_home(bedrooms=2, rent=HOGE + Decimal("0.01")), candidate) == {
        RuleCode.RENT_ABOVE_AFFORDABILITY_LIMIT
    }


def test_low_income_household_of_two_is_held_to_the_lage_aftoppingsgrens() -> None:
    candidate = make_candidate(adults=2, monthly_income=LOW_INCOME, max_rent=Decimal("900"))
    assert codes(make_home(rent=LAGE + Decimal("0.01")), candidate) == {
        RuleCode.RENT_ABOVE_AFFORDABILITY_LIMIT
    }


def test_income_above_the_limit_is_not_capped_by_passend_toewijzen() -> None:
    home = make_home(rent=Decimal("850.00"))
    candidate = make_candidate(monthly_income=HIGH_INCOME, max_rent=Decimal("900"))
    assert codes(home, candidate) == set()


def test_rent_above_the_clients_agreed_maximum_is_not_eligible_even_when_passend() -> None:
    home = make_home(rent=Decimal("640.00"))
    candidate = make_candidate(monthly_income=LOW_INCOME, max_rent=Decimal("600.00"))
    assert codes(home, candidate) == {RuleCode.RENT_ABOVE_CLIENT_MAXIMUM}


def test_rent_equal_to_the_clients_maximum_is_eligible() -> None:
    assert codes(make_home(rent=Decimal("600.00")), make_candidate(max_rent=Decimal("600.00"))) == (
        set()
    )


# --- accessibility ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "feature",
    [
        AccessibilityFeature.GROUND_FLOOR,
        AccessibilityFeature.LIFT,
        AccessibilityFeature.WHEELCHAIR_ACCESSIBLE,
    ],
)
def test_ground_floor_need_is_met_by_ground_floor_lift_or_wheelchair_home(
    feature: AccessibilityFeature,
) -> None:
    candidate = make_candidate(accessibility_needs=frozenset({AccessibilityNeed.GROUND_FLOOR}))
    assert codes(make_home(features=frozenset({feature})), candidate) == set()


def test_ground_floor_need_is_not_met_by_an_upper_floor_without_lift() -> None:
    candidate = make_candidate(accessibility_needs=frozenset({AccessibilityNeed.GROUND_FLOOR}))
    assert codes(make_home(features=frozenset()), candidate) == {RuleCode.ACCESSIBILITY_NOT_MET}


@pytest.mark.parametrize(
    "features",
    [
        frozenset({AccessibilityFeature.GROUND_FLOOR}),
        frozenset({AccessibilityFeature.LIFT}),
        frozenset({AccessibilityFeature.GROUND_FLOOR, AccessibilityFeature.LIFT}),
    ],
)
def test_wheelchair_need_requires_a_wheelchair_accessible_home(
    features: frozenset[AccessibilityFeature],
) -> None:
    candidate = make_candidate(accessibility_needs=frozenset({AccessibilityNeed.WHEELCHAIR}))
    assert codes(make_home(features=features), candidate) == {RuleCode.ACCESSIBILITY_NOT_MET}
    wheelchair_home = make_home(features=frozenset({AccessibilityFeature.WHEELCHAIR_ACCESSIBLE}))
    assert codes(wheelchair_home, candidate) == set()


@pytest.mark.parametrize(
    ("features", "eligible"),
    [
        (frozenset({AccessibilityFeature.LIFT}), True),
        (frozenset({AccessibilityFeature.GROUND_FLOOR}), True),
        (frozenset({AccessibilityFeature.WHEELCHAIR_ACCESSIBLE}), True),
        (frozenset({AccessibilityFeature.OTHER}), False),
        (frozenset(), False),
    ],
)
def test_lift_need_is_met_by_any_home_without_stairs_to_the_front_door(
    features: frozenset[AccessibilityFeature], eligible: bool
) -> None:
    candidate = make_candidate(accessibility_needs=frozenset({AccessibilityNeed.LIFT}))
    found = codes(make_home(features=features), candidate)
    assert found == (set() if eligible else {RuleCode.ACCESSIBILITY_NOT_MET})


def test_an_other_accessibility_need_cannot_be_checked_and_blocks_no_home() -> None:
    candidate = make_candidate(accessibility_needs=frozenset({AccessibilityNeed.OTHER}))
    assert codes(make_home(features=frozenset()), candidate) == set()


def test_every_need_must_be_met_not_just_one() -> None:
    candidate = make_candidate(
        accessibility_needs=frozenset(
            {AccessibilityNeed.GROUND_FLOOR, AccessibilityNeed.WHEELCHAIR}
        )
    )
    assert codes(make_home(features=frozenset({AccessibilityFeature.LIFT})), candidate) == {
        RuleCode.ACCESSIBILITY_NOT_MET
    }


def test_a_client_without_accessibility_needs_takes_any_home() -> None:
    assert codes(make_home(features=frozenset()), make_candidate()) == set()


# --- municipality -------------------------------------------------------------------------


def test_home_in_a_municipality_the_client_excluded_is_not_eligible() -> None:
    candidate = make_candidate(excluded_municipalities=frozenset({"enschede "}))
    assert codes(make_home(municipality="Enschede"), candidate) == {RuleCode.MUNICIPALITY_EXCLUDED}


def test_home_in_a_preferred_municipality_is_eligible() -> None:
    candidate = make_candidate(preferred_municipalities=frozenset({"Enschede"}))
    assert codes(make_home(municipality="Enschede"), candidate) == set()


def test_home_in_a_municipality_neither_preferred_nor_excluded_is_acceptable() -> None:
    candidate = make_candidate(
        preferred_municipalities=frozenset({"Hengelo"}),
        excluded_municipalities=frozenset({"Almelo"}),
    )
    assert codes(make_home(municipality="Enschede"), candidate) == set()


# --- cluster or scattered -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("preference", "near_support_point", "eligible"),
    [
        (ClusterPreference.CLUSTER, True, True),
        (ClusterPreference.CLUSTER, False, False),
        (ClusterPreference.SCATTERED, False, True),
        (ClusterPreference.SCATTERED, True, False),
        (ClusterPreference.NO_PREFERENCE, True, True),
        (ClusterPreference.NO_PREFERENCE, False, True),
    ],
)
def test_cluster_preference_decides_whether_a_home_near_a_support_point_fits(
    preference: ClusterPreference, near_support_point: bool, eligible: bool
) -> None:
    found = codes(
        make_home(near_support_point=near_support_point),
        make_candidate(cluster_preference=preference),
    )
    assert found == (set() if eligible else {RuleCode.CLUSTER_PREFERENCE_NOT_MET})


# --- readiness ----------------------------------------------------------------------------


def test_client_not_ready_by_the_homes_available_date_is_not_eligible() -> None:
    home = make_home(available_from=date(2026, 6, 1))
    assert codes(home, make_candidate(ready_from=date(2026, 6, 2))) == {
        RuleCode.NOT_READY_BY_AVAILABLE_FROM
    }


def test_client_ready_on_the_homes_available_date_is_eligible() -> None:
    home = make_home(available_from=date(2026, 6, 1))
    assert codes(home, make_candidate(ready_from=date(2026, 6, 1))) == set()


def test_region_grace_period_accepts_a_client_ready_shortly_after_availability() -> None:
    policy = EligibilityPolicy(affordability=PASSEND_TOEWIJZEN_2026, readiness_grace_days=14)
    home = make_home(available_from=date(2026, 6, 1))
    assert codes(home, make_candidate(ready_from=date(2026, 6, 15)), policy) == set()
    assert codes(home, make_candidate(ready_from=date(2026, 6, 16)), policy) == {
        RuleCode.NOT_READY_BY_AVAILABLE_FROM
    }


# --- status and earlier declines ----------------------------------------------------------


@pytest.mark.parametrize(
    "status", [CandidateStatus.PROPOSED, CandidateStatus.HOUSED, CandidateStatus.WITHDRAWN]
)
def test_client_in_an_open_proposal_or_no_longer_waiting_is_not_eligible(
    status: CandidateStatus,
) -> None:
    assert codes(candidate=make_candidate(status=status)) == {RuleCode.CANDIDATE_NOT_WAITING}


def test_declined_client_is_not_proposed_for_same_home_again() -> None:
    candidate = make_candidate(case_id="case-9")
    assert codes(candidate=candidate, declined=frozenset({"case-9"})) == {
        RuleCode.PREVIOUSLY_DECLINED_FOR_HOME
    }


def test_a_decline_for_another_client_does_not_affect_this_client() -> None:
    assert codes(candidate=make_candidate(case_id="case-1"), declined=frozenset({"case-2"})) == (
        set()
    )


# --- evaluate as a whole ------------------------------------------------------------------


def test_evaluate_lists_every_failing_rule_not_only_the_first() -> None:
    home = make_home(
        bedrooms=1,
        rent=Decimal("800.00"),
        municipality="Almelo",
        near_support_point=True,
        available_from=date(2026, 6, 1),
    )
    candidate = make_candidate(
        case_id="case-7",
        required_bedrooms=2,
        monthly_income=LOW_INCOME,
        max_rent=Decimal("600.00"),
        accessibility_needs=frozenset({AccessibilityNeed.WHEELCHAIR}),
        excluded_municipalities=frozenset({"Almelo"}),
        cluster_preference=ClusterPreference.SCATTERED,
        ready_from=date(2026, 7, 1),
        status=CandidateStatus.PROPOSED,
    )
    result = evaluate(home, candidate, POLICY, frozenset({"case-7"}))
    assert not result.eligible
    assert result.codes == (
        RuleCode.TOO_FEW_BEDROOMS,
        RuleCode.RENT_ABOVE_AFFORDABILITY_LIMIT,
        RuleCode.RENT_ABOVE_CLIENT_MAXIMUM,
        RuleCode.ACCESSIBILITY_NOT_MET,
        RuleCode.MUNICIPALITY_EXCLUDED,
        RuleCode.CLUSTER_PREFERENCE_NOT_MET,
        RuleCode.NOT_READY_BY_AVAILABLE_FROM,
        RuleCode.CANDIDATE_NOT_WAITING,
        RuleCode.PREVIOUSLY_DECLINED_FOR_HOME,
    )
    assert len(RULES) == 9


def test_failure_messages_carry_no_personal_data_or_client_figures() -> None:
    home = make_home(bedrooms=1, rent=Decimal("800.00"), municipality="Almelo")
    candidate = make_candidate(
        case_id="case-secret",
        client_ref="ref-secret",
        member_id="m-secret",
        required_bedrooms=2,
        monthly_income=Decimal("1234.56"),
        max_rent=Decimal("654.32"),
        accessibility_needs=frozenset({AccessibilityNeed.WHEELCHAIR}),
        excluded_municipalities=frozenset({"Almelo"}),
        cluster_preference=ClusterPreference.CLUSTER,
        ready_from=date(2026, 7, 1),
        status=CandidateStatus.PROPOSED,
    )
    result = evaluate(home, candidate, POLICY, frozenset({"case-secret"}))
    assert len(result.failures) >= 8
    for failure in result.failures:
        assert failure.message.endswith(".")
        assert "secret" not in failure.message
        assert not any(character.isdigit() for character in failure.message)
        assert "wheelchair" not in failure.message.lower()


def test_an_eligibility_result_cannot_claim_eligible_with_failures() -> None:
    failures = evaluate(make_home(bedrooms=0), make_candidate(), POLICY, frozenset()).failures
    with pytest.raises(ValueError):
        EligibilityResult(eligible=True, failures=failures)


def test_policy_rejects_negative_limits() -> None:
    with pytest.raises(InvalidPolicy):
        EligibilityPolicy(affordability=PASSEND_TOEWIJZEN_2026, max_surplus_bedrooms=-1)
    with pytest.raises(InvalidPolicy):
        EligibilityPolicy(affordability=PASSEND_TOEWIJZEN_2026, readiness_grace_days=-1)
