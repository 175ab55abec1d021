"""The engine's searches: the short-circuit eligibility check gives the same answer as the full
evaluation, the hard limits a database checks never exclude an eligible candidate, and the
bounded explanation lists whole members only and counts the rest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st
from matching_builders import POLICY, make_candidate, make_home

from services.matching.application.explain import explain_proposal, members_to_list
from services.matching.domain.candidate import (
    AccessibilityNeed,
    CandidateStatus,
    ClusterPreference,
    Urgency,
)
from services.matching.domain.eligibility import (
    EligibilityPolicy,
    evaluate,
    hard_limits,
    is_eligible,
)
from services.matching.domain.home import AccessibilityFeature
from services.matching.domain.selection import eligible_members
from shared.events.contingent import AllocationDecided

BASE = date(2026, 6, 1)

homes = st.builds(
    lambda bedrooms, rent, days, near, features, town: make_home(
        bedrooms=bedrooms, rent=Decimal(rent), available_from=BASE + timedelta(days=days),
        near_support_point=near, features=frozenset(features), municipality=town),
    st.integers(0, 5), st.integers(300, 1200), st.integers(-30, 30), st.booleans(),
    st.sets(st.sampled_from(list(AccessibilityFeature)), max_size=2),
    st.sampled_from(["Enschede", "Hengelo", "Almelo"]))

candidates = st.builds(
    lambda bedrooms, max_rent, income, days, adults, children, cluster, needs, excl, status,
    member: make_candidate(
        required_bedrooms=bedrooms, max_rent=Decimal(max_rent),
        monthly_income=Decimal(income), ready_from=BASE + timedelta(days=days),
        adults=adults, children=children, cluster_preference=cluster,
        accessibility_needs=frozenset(needs), excluded_municipalities=frozenset(excl),
        status=status, member_id=member, case_id=str(uuid4())),
    st.integers(0, 5), st.integers(300, 1300), st.integers(800, 4000), st.integers(-40, 40),
    st.integers(1, 2), st.integers(0, 3), st.sampled_from(list(ClusterPreference)),
    st.sets(st.sampled_from(list(AccessibilityNeed)), max_size=2),
    st.sets(st.sampled_from(["Enschede", "Hengelo"]), max_size=1),
    st.sampled_from([CandidateStatus.WAITING, CandidateStatus.PROPOSED]),
    st.sampled_from(["m01", "m02", "m03"]))

policies = st.builds(lambda grace: EligibilityPolicy(POLICY.affordability,
                                                     readiness_grace_days=grace),
                     st.integers(0, 14))


@settings(max_examples=400, deadline=None)
@given(homes, candidates, policies, st.booleans())
def test_the_short_circuit_check_agrees_with_the_full_evaluation(home, candidate, policy,
                                                                 declined) -> None:
    excluded = frozenset({candidate.case_id}) if declined else frozenset()
    assert is_eligible(home, candidate, policy, excluded) == evaluate(
        home, candidate, policy, excluded).eligible


@settings(max_examples=400, deadline=None)
@given(homes, candidates, policies)
def test_the_hard_limits_never_exclude_an_eligible_candidate(home, candidate, policy) -> None:
    if evaluate(home, candidate, policy, frozenset()).eligible:
        assert hard_limits(home, policy).admits(candidate)


def test_the_hard_limits_are_the_bedrooms_the_rent_and_the_readiness_with_grace() -> None:
    home = make_home(bedrooms=2, rent=Decimal("600"), available_from=BASE)
    limits = hard_limits(home, EligibilityPolicy(POLICY.affordability, readiness_grace_days=3))
    assert limits.admits(make_candidate(required_bedrooms=2, max_rent=Decimal("600"),
                                        ready_from=BASE + timedelta(days=3)))
    assert not limits.admits(make_candidate(required_bedrooms=3))
    assert not limits.admits(make_candidate(max_rent=Decimal("599.99")))
    assert not limits.admits(make_candidate(ready_from=BASE + timedelta(days=4)))


@settings(max_examples=200, deadline=None)
@given(homes, st.lists(candidates, max_size=12))
def test_eligible_members_is_every_member_with_an_eligible_candidate(home, pool) -> None:
    expected = {c.member_id for c in pool if evaluate(home, c, POLICY, frozenset()).eligible}
    assert eligible_members(home, pool, POLICY) == expected


def test_an_explanation_lists_other_members_whole_while_they_fit_and_counts_the_rest() -> None:
    listed, rest = members_to_list({"m01": 5, "m02": 30, "m03": 25, "m04": 10, "m05": 1},
                                   owed="m01", cap=40)
    assert listed == ["m02", "m04"]  # 30 + 10 fill the 40; m03 (25) and m05 (1) do not fit
    assert rest == {"m03": 25, "m05": 1}


def test_members_to_list_takes_a_smaller_member_after_one_that_did_not_fit() -> None:
    listed, rest = members_to_list({"m02": 30, "m03": 25, "m05": 1}, owed="m01", cap=40)
    assert listed == ["m02", "m05"] and rest == {"m03": 25}


def test_a_bounded_explanation_lists_the_best_of_the_owed_member_and_counts_the_rest() -> None:
    at = datetime(2026, 1, 1, 9, tzinfo=UTC)
    pool = [make_candidate(case_id=f"c{i:03d}", client_ref=f"ref_{i:03d}",
                           submitted_at=at + timedelta(hours=i),
                           urgency=Urgency.HIGH if i == 7 else Urgency.NORMAL)
            for i in range(30)]
    winner = pool[7]
    decision = AllocationDecided(home_id=uuid4(), contingent_year=2026, round=1,
                                 member_id="m01", home_number=3, skipped=False, reason="owed")
    explanation = explain_proposal(
        home=make_home(), pool=pool, policy=POLICY, previously_declined=frozenset(),
        decision=decision, requested_members=["m01"], winner=winner, proposed_at=at,
        not_listed={"m09": 400}, in_other_proposals=12, max_listed_owed=10)
    refs = [c["client_ref"] for c in explanation["candidates"]]
    assert len(refs) == 10 and refs[0] == "ref_007"  # the winner first, then by waiting time
    assert refs[1:] == [f"ref_{i:03d}" for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)]
    assert explanation["pool"] == {"listed": 10, "owed_member_waiting": 30,
                                   "not_listed_waiting": 420, "not_listed_members": ["m09"],
                                   "in_other_proposals": 12}
    assert "ranks first among the 30 eligible candidates" in explanation["winner"]["why"][1]
