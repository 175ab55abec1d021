"""Updates, the matching view, the one-open-case rule and erasure of personal data."""

from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.intake.domain.affordability import RENT_LIMITS_2025
from services.intake.domain.client import Contact, PersonalData
from services.intake.domain.details import (
    AccessibilityNeed,
    ClusterPreference,
    IntakeDetails,
    IntakeRules,
    SupportNeed,
    Urgency,
)
from services.intake.domain.duplicates import ensure_no_open_case, find_open_case
from services.intake.domain.errors import DuplicateIntake, IntakeInvalid, TransitionNotAllowed
from services.intake.domain.household import Household
from services.intake.domain.intake import (
    ClientDeclineReason,
    Intake,
    IntakeStatus,
    WithdrawalReason,
)
from services.intake.domain.matching_view import MATCHING_FIELDS, MatchingView
from services.intake.domain.pseudonym import client_ref
from services.intake.domain.region import U16
from services.intake.domain.risks import Risk, RiskCategory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = T0.date()
RULES = IntakeRules(region=U16, rent_limits=RENT_LIMITS_2025)
KEY = b"k" * 32
REF = client_ref(KEY, "111222333", "")
NAME, BSN, EMAIL, NOTE = "Jan Jansen", "111222333", "jan@example.org", "Afraid of dogs."
MITIGATION = "Budget management for a year"


def details(**changes: object) -> IntakeDetails:
    base = IntakeDetails(
        client=PersonalData(
            name=NAME,
            date_of_birth=date(1985, 6, 15),
            bsn=BSN,
            contact=Contact(phone="0612345678", email=EMAIL, address="Shelter, Utrecht"),
        ),
        household=Household(adults=1, children=1, children_ages=(6,)),
        monthly_income_cents=125_000,
        ready_to_move_on=TODAY + timedelta(days=14),
        consent_given_on=TODAY,
        urgency=Urgency.HIGH,
        accessibility=frozenset({AccessibilityNeed.LIFT, AccessibilityNeed.GROUND_FLOOR}),
        preferred_municipalities=("Utrecht", "Zeist"),
        excluded_municipalities=("Lopik",),
        cluster_preference=ClusterPreference.SCATTERED,
        support=SupportNeed(hours_per_week=4, provider="Lister"),
        risks=(Risk(RiskCategory.DEBTS, MITIGATION, "Debt service"),),
        notes=NOTE,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def new_intake(case_id: str = "case-1", ref: str = REF, member: str = "m01") -> Intake:
    return Intake.open(
        case_id=case_id,
        client_ref=ref,
        member_id=member,
        caseworker_id="cw-7",
        details=details(),
        rules=RULES,
        now=T0,
    )


def submitted() -> Intake:
    intake = new_intake()
    intake.submit(T0)
    return intake


# ---- the matching view ----------------------------------------------------------------------

EXPECTED_VIEW_FIELDS = {
    "case_id",
    "client_ref",
    "member_id",
    "adults",
    "children",
    "required_bedrooms",
    "monthly_income_cents",
    "max_affordable_rent_cents",
    "accessibility_needs",
    "preferred_municipalities",
    "excluded_municipalities",
    "cluster_preference",
    "support_hours_per_week",
    "risks",
    "urgency",
    "ready_to_move_on",
    "consent_given",
    "waiting_since",
}


def test_the_matching_view_has_exactly_the_fields_matching_needs() -> None:
    assert {f.name for f in fields(MatchingView)} == EXPECTED_VIEW_FIELDS
    assert set(MATCHING_FIELDS) == EXPECTED_VIEW_FIELDS


def test_the_matching_view_carries_no_personal_data() -> None:
    view = submitted().matching_view()
    text = repr(view)
    for personal in [NAME, BSN, EMAIL, "0612345678", "Shelter", "1985", NOTE, "Lister"]:
        assert personal not in text
    forbidden = {"name", "date_of_birth", "bsn", "contact", "notes", "children_ages", "client"}
    assert forbidden.isdisjoint(EXPECTED_VIEW_FIELDS)


def test_the_matching_view_holds_the_needs_and_derived_figures() -> None:
    view = submitted().matching_view()
    assert view == MatchingView(
        case_id="case-1",
        client_ref=REF,
        member_id="m01",
        adults=1,
        children=1,
        required_bedrooms=2,
        monthly_income_cents=125_000,
        max_affordable_rent_cents=68_296,  # 2 persons: lage aftoppingsgrens
        accessibility_needs=(AccessibilityNeed.GROUND_FLOOR, AccessibilityNeed.LIFT),
        preferred_municipalities=("Utrecht", "Zeist"),
        excluded_municipalities=("Lopik",),
        cluster_preference=ClusterPreference.SCATTERED,
        support_hours_per_week=4,
        risks=(Risk(RiskCategory.DEBTS, MITIGATION, "Debt service"),),
        urgency=Urgency.HIGH,
        ready_to_move_on=TODAY + timedelta(days=14),
        consent_given=True,
        waiting_since=T0,
    )


def test_overrides_show_in_the_matching_view() -> None:
    intake = new_intake()
    household = Household(adults=1, children=1, bedrooms_override=1)
    intake.update(details(household=household, max_rent_override_cents=75_000), RULES, T0)
    view = intake.matching_view()
    assert (view.required_bedrooms, view.max_affordable_rent_cents) == (1, 75_000)


# ---- updates ----------------------------------------------------------------------------------


def test_an_update_returns_only_the_matching_fields_that_changed() -> None:
    intake = submitted()
    changes = intake.update(
        details(urgency=Urgency.URGENT, excluded_municipalities=("Lopik", "woerden")), RULES, T0
    )
    assert changes == {
        "urgency": Urgency.URGENT,
        "excluded_municipalities": ("Lopik", "Woerden"),
    }
    assert intake.details.urgency is Urgency.URGENT


def test_a_household_change_also_reports_the_derived_figures() -> None:
    intake = submitted()
    bigger = Household(adults=2, children=3)
    changes = intake.update(details(household=bigger), RULES, T0)
    assert changes == {
        "adults": 2,
        "children": 3,
        "required_bedrooms": 3,
        "max_affordable_rent_cents": 73_193,  # 5 persons: hoge aftoppingsgrens
    }


def test_a_change_of_personal_data_only_yields_no_matching_change() -> None:
    intake = submitted()
    moved = Contact(phone="0687654321", email="new@example.org")
    new_details = details(
        client=PersonalData(name="Jan J. Jansen", date_of_birth=date(1985, 6, 15), contact=moved),
        notes="Other notes",
        household=Household(adults=1, children=1, children_ages=(7,)),
        support=SupportNeed(hours_per_week=4, provider="Another provider"),
    )
    assert intake.update(new_details, RULES, T0) == {}
    assert intake.details.client.contact == moved


def test_an_invalid_update_is_refused_and_changes_nothing() -> None:
    intake = submitted()
    before = intake.details
    with pytest.raises(IntakeInvalid) as raised:
        intake.update(details(consent_given_on=None, monthly_income_cents=-1), RULES, T0)
    assert [e.field for e in raised.value.errors] == ["monthly_income_cents", "consent_given_on"]
    assert intake.details is before


def test_an_unchanged_ready_date_that_has_passed_does_not_block_an_update() -> None:
    intake = submitted()
    weeks_later = T0 + timedelta(days=30)
    assert intake.update(details(urgency=Urgency.LOW), RULES, weeks_later) == {
        "urgency": Urgency.LOW
    }


def test_a_changed_ready_date_must_not_be_in_the_past() -> None:
    intake = submitted()
    with pytest.raises(IntakeInvalid):
        intake.update(details(ready_to_move_on=TODAY - timedelta(days=1)), RULES, T0)


def test_a_proposed_intake_can_still_be_updated() -> None:
    intake = submitted()
    intake.propose("match-1", T0)
    assert intake.update(details(support=SupportNeed(6, "Lister")), RULES, T0) == {
        "support_hours_per_week": 6
    }


def test_after_housing_only_personal_data_can_change() -> None:
    intake = submitted()
    intake.propose("match-1", T0)
    intake.mark_housed("match-1", date(2026, 4, 1), T0)
    new_contact = Contact(address="Nieuwe Gracht 1, Utrecht")
    personal = PersonalData(
        name=NAME, date_of_birth=date(1985, 6, 15), bsn=BSN, contact=new_contact
    )
    assert intake.update(details(client=personal), RULES, T0) == {}
    with pytest.raises(TransitionNotAllowed, match="housed"):
        intake.update(details(urgency=Urgency.LOW), RULES, T0)
    assert intake.details.urgency is Urgency.HIGH


def test_a_withdrawn_intake_cannot_be_changed() -> None:
    intake = submitted()
    intake.withdraw(WithdrawalReason.CLIENT_REQUEST, T0)
    with pytest.raises(TransitionNotAllowed):
        intake.update(details(), RULES, T0)


# ---- one open case per client -----------------------------------------------------------------


def test_a_second_intake_for_a_client_with_an_open_case_is_refused() -> None:
    existing = [new_intake("case-0", client_ref(KEY, None, "someone else")), submitted()]
    with pytest.raises(DuplicateIntake) as raised:
        ensure_no_open_case(REF, existing)
    assert raised.value.open_case_id == "case-1"
    assert raised.value.open_case_member_id == "m01"
    assert "case-1" in str(raised.value)


def test_a_housed_client_still_has_an_open_case() -> None:
    intake = submitted()
    intake.propose("match-1", T0)
    intake.mark_housed("match-1", date(2026, 4, 1), T0)
    assert find_open_case(REF, [intake]) is intake


def test_a_closed_or_withdrawn_case_does_not_block_a_new_intake() -> None:
    withdrawn = submitted()
    withdrawn.withdraw(WithdrawalReason.CLIENT_REQUEST, T0)
    closed = submitted()
    closed.propose("match-1", T0)
    closed.mark_housed("match-1", date(2026, 4, 1), T0)
    closed.close(T0 + timedelta(days=365))
    ensure_no_open_case(REF, [withdrawn, closed])
    assert find_open_case(REF, []) is None


def test_an_open_case_of_another_organisation_also_counts() -> None:
    other = new_intake("case-9", REF, member="m02")
    with pytest.raises(DuplicateIntake) as raised:
        ensure_no_open_case(REF, [other])
    assert raised.value.open_case_member_id == "m02"


# ---- retention and erasure ------------------------------------------------------------------


def closed_after_aftercare() -> Intake:
    intake = submitted()
    intake.propose("match-1", T0)
    intake.client_declines("match-1", ClientDeclineReason.LOCATION, T0, note="Near ex-partner")
    intake.propose("match-2", T0)
    intake.client_accepts("match-2", T0)
    intake.mark_housed("match-2", date(2026, 4, 1), T0)
    intake.close(datetime(2027, 4, 1, tzinfo=UTC))
    return intake


def test_erasure_is_due_24_months_after_aftercare_ended() -> None:
    intake = closed_after_aftercare()
    assert not intake.erasure_due(datetime(2029, 3, 31, tzinfo=UTC))
    assert intake.erasure_due(datetime(2029, 4, 1, tzinfo=UTC))


def test_erasure_of_a_never_housed_client_counts_from_withdrawal() -> None:
    intake = submitted()
    intake.withdraw(WithdrawalReason.LOST_CONTACT, datetime(2026, 6, 1, tzinfo=UTC))
    assert intake.erasure_due(datetime(2028, 6, 1, tzinfo=UTC))
    assert not intake.erasure_due(datetime(2028, 5, 31, tzinfo=UTC))


def test_an_open_case_is_never_due_for_erasure() -> None:
    assert not submitted().erasure_due(datetime(2040, 1, 1, tzinfo=UTC))


def test_erasure_blanks_personal_data_and_keeps_the_statistical_record() -> None:
    intake = closed_after_aftercare()
    view_before = intake.matching_view()
    erased_at = datetime(2029, 4, 2, tzinfo=UTC)
    intake.erase_personal_data(erased_at)

    assert intake.details.client == PersonalData(name="", date_of_birth=None)
    assert intake.details.client.contact == Contact()
    assert intake.details.notes == ""
    assert intake.details.household.children_ages == ()
    assert intake.details.risks == (Risk(RiskCategory.DEBTS, "", ""),)
    assert intake.details.support == SupportNeed(hours_per_week=4, provider=None)
    assert all(p.client_answer is None or p.client_answer.note == "" for p in intake.proposals)
    assert MITIGATION not in repr(intake)

    assert (intake.client_ref, intake.member_id, intake.status) == (REF, "m01", IntakeStatus.CLOSED)
    assert (intake.opened_at, intake.submitted_at, intake.tenancy_start) == (
        T0,
        T0,
        date(2026, 4, 1),
    )
    assert intake.details.household.size == 2
    assert intake.matching_view().required_bedrooms == view_before.required_bedrooms
    assert intake.personal_data_erased_at == erased_at
    assert not intake.erasure_due(datetime(2040, 1, 1, tzinfo=UTC))


def test_the_repr_of_an_intake_hides_personal_data() -> None:
    intake = submitted()
    intake.propose("match-1", T0)
    intake.client_declines("match-1", ClientDeclineReason.OTHER, T0, note="Secret reason")
    text = repr(intake)
    for personal in [NAME, BSN, EMAIL, "0612345678", "1985", NOTE, "Secret reason"]:
        assert personal not in text


def test_personal_data_of_an_open_case_cannot_be_erased() -> None:
    intake = submitted()
    with pytest.raises(TransitionNotAllowed, match="still open"):
        intake.erase_personal_data(T0)
    assert intake.details.client.name == NAME
