"""What the wire and the tables hold becomes the domain's objects, and back, unchanged."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

from matching_builders import ams, make_candidate, make_home

from services.matching.adapters.db.repository import (
    candidate_from,
    home_from,
    proposal_from_row,
    proposal_values,
)
from services.matching.domain.candidate import AccessibilityNeed, RiskCategory, Urgency
from services.matching.domain.decline_reasons import DeclineReason
from services.matching.domain.home import AccessibilityFeature, Contract, ContractKind, HomeStatus
from services.matching.domain.match import propose
from services.matching.domain.proposal import ClientAnswer
from shared.events.common import Contract as WireContract
from shared.events.intake import MatchingProfile
from shared.events.matching import HomeOffered


def test_the_intakes_profile_becomes_a_candidate_with_euros_as_decimals() -> None:
    profile = MatchingProfile.model_validate({
        "household": {"adults": 2, "children": 1}, "required_bedrooms": 2,
        "monthly_income": "1850.55", "max_rent": "720.10", "urgency": "high",
        "accessibility_needs": ["lift"], "excluded_municipalities": ["Almelo"],
        "cluster_preference": "scattered", "support_hours_per_week": 6,
        "risks": [{"category": "debts", "mitigation": "budget coaching"}],
        "ready_from": "2027-02-01",
    }).model_dump(mode="json")
    submitted = datetime(2027, 1, 3, 9, tzinfo=UTC)
    candidate = candidate_from(uuid.UUID(int=1), "ref_abcdefgh", "m01", profile, submitted)
    assert candidate.monthly_income == Decimal("1850.55")
    assert candidate.max_rent == Decimal("720.10")
    assert candidate.household_size == 3 and candidate.urgency is Urgency.HIGH
    assert candidate.accessibility_needs == {AccessibilityNeed.LIFT}
    assert candidate.risks[0].category is RiskCategory.DEBTS
    assert candidate.support_hours == 6 and candidate.ready_from == date(2027, 2, 1)
    assert candidate.submitted_at == submitted


def test_a_home_offer_becomes_a_domain_home_with_its_contract() -> None:
    home_id = uuid.uuid4()
    offer = HomeOffered(
        home_id=home_id, corporation_id="c01", municipality="Hengelo", postcode4="7551",
        bedrooms=2, rent=Decimal("701.50"), accessibility=["wheelchair"],
        near_support_point=True, available_from=date(2027, 5, 1), contingent_year=2027,
        contract=WireContract(type="intermediary", omklap_after_months=18),
    ).model_dump(mode="json")
    home = home_from(home_id, "c01", 2027, offer, "allocating")
    assert home.rent == Decimal("701.50") and home.status is HomeStatus.OFFERED
    assert home.contract == Contract(ContractKind.INTERMEDIARY, omklap_after_months=18)
    assert home.features == {AccessibilityFeature.WHEELCHAIR_ACCESSIBLE}
    assert home.near_support_point


def _row(proposal: object, **values: object) -> SimpleNamespace:
    p = proposal
    return SimpleNamespace(
        match_id=uuid.UUID(p.match_id), home_id=uuid.UUID(p.home_id),  # type: ignore[attr-defined]
        case_id=uuid.UUID(p.case_id), member_id=p.member_id,  # type: ignore[attr-defined]
        corporation_id=p.corporation_id, proposed_at=p.proposed_at,  # type: ignore[attr-defined]
        deadline=p.deadline, **values)  # type: ignore[attr-defined]


def test_every_step_of_a_proposal_survives_its_row() -> None:
    ids = {"home_id": str(uuid.uuid4())}
    home = make_home(home_id=ids["home_id"], contract=Contract.temporary(24))
    candidate = make_candidate(case_id=str(uuid.uuid4()))
    match = propose(str(uuid.uuid4()), home, candidate, ams(2026, 3, 2, 10))
    steps = [
        match.proposal,
        match.decline(DeclineReason.OTHER, ams(2026, 3, 3), note=" kept here ").proposal,
        match.record_client_response(ClientAnswer.ACCEPTED, ams(2026, 3, 3)).proposal,
        match.accept(ams(2026, 3, 3)).start_tenancy(
            date(2026, 3, 4), date(2026, 4, 1), ams(2026, 3, 4)).proposal,
    ]
    for proposal in steps:
        row = _row(proposal, **proposal_values(proposal))
        assert proposal_from_row(row, candidate.client_ref) == proposal
