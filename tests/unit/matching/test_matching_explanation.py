"""The explanation stored with a proposal: who was considered, why each ineligible candidate was
excluded, what the contingent said, and why the winner won — by pseudonymous reference."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from matching_builders import POLICY, make_candidate, make_home

from services.matching.application.explain import explain_proposal, for_corporation
from services.matching.domain.candidate import Candidate, Urgency
from shared.events.contingent import AllocationDecided

HOME = make_home()


def at(day: int) -> datetime:
    return datetime(2026, 1, day, 9, 0, tzinfo=UTC)


def decision(member_id: str = "m01", skipped: bool = False) -> AllocationDecided:
    return AllocationDecided(home_id=uuid4(), contingent_year=2026, round=2,
                             member_id=member_id, home_number=7, skipped=skipped,
                             reason="m01 is furthest below its quota")


def explain(pool: list[Candidate], winner: Candidate, excluded: frozenset[str] = frozenset(),
            **kw: AllocationDecided) -> dict[str, Any]:
    return explain_proposal(home=HOME, pool=pool, policy=POLICY, previously_declined=excluded,
                            decision=kw.get("decision", decision()),
                            requested_members=["m01", "m02"], winner=winner,
                            proposed_at=at(20))


def test_explanation_says_which_member_was_owed_the_home_and_that_urgency_decided() -> None:
    winner = make_candidate(case_id="a", client_ref="ref_winner_1", urgency=Urgency.HIGH,
                            submitted_at=at(9))
    runner_up = make_candidate(case_id="b", client_ref="ref_runner_1", submitted_at=at(1))
    explanation = explain([runner_up, winner], winner)
    assert explanation["contingent"] == {
        "year": 2026, "eligible_members": ["m01", "m02"], "member_id": "m01",
        "home_number": 7, "skipped": False, "reason": "m01 is furthest below its quota",
        "standings": None}
    assert explanation["winner"]["client_ref"] == "ref_winner_1"
    why = explanation["winner"]["why"]
    assert why[0].startswith("The contingent says member m01 is owed home number 7")
    assert "ranks first among the 2 eligible candidates" in why[1]
    assert "urgency (high) is higher than that of the next eligible candidate (normal)" in why[2]


def test_at_equal_urgency_the_explanation_points_to_the_longer_wait() -> None:
    winner = make_candidate(case_id="a", submitted_at=at(2))
    runner_up = make_candidate(case_id="b", client_ref="ref_other_22", submitted_at=at(8))
    why = explain([winner, runner_up], winner)["winner"]["why"]
    assert "waited longer (since 2026-01-02, against 2026-01-08)" in why[2]


def test_a_skipped_quota_rule_and_a_lone_candidate_are_explained() -> None:
    winner = make_candidate(case_id="a")
    why = explain([winner], winner, decision=decision(skipped=True))["winner"]["why"]
    assert "the quota rule was skipped" in why[0]
    assert why[1] == "It is the only eligible candidate of that member."


def test_every_ineligible_candidate_is_listed_with_all_its_rule_codes() -> None:
    winner = make_candidate(case_id="a")
    declined = make_candidate(case_id="d", client_ref="ref_declined_1")
    unfit = make_candidate(case_id="u", client_ref="ref_unfit_111", member_id="m02",
                           required_bedrooms=3, excluded_municipalities=frozenset({"Enschede"}))
    explanation = explain([winner, declined, unfit], winner, excluded=frozenset({"d"}))
    by_ref = {c["client_ref"]: c for c in explanation["candidates"]}
    assert [f["code"] for f in by_ref["ref_declined_1"]["excluded_because"]] == [
        "previously_declined_for_home"]
    assert [f["code"] for f in by_ref["ref_unfit_111"]["excluded_because"]] == [
        "too_few_bedrooms", "municipality_excluded"]
    assert by_ref["ref_unfit_111"]["eligible"] is False
    assert by_ref["ref_unfit_111"]["rank_in_member"] is None
    assert all("case" not in key for c in explanation["candidates"] for key in c)


def test_the_corporation_sees_the_reasoning_without_any_client_reference() -> None:
    winner = make_candidate(case_id="a", client_ref="ref_winner_1")
    other = make_candidate(case_id="b", client_ref="ref_other_22")
    shown = for_corporation(explain([winner, other], winner))
    assert "ref_winner_1" not in str(shown) and "ref_other_22" not in str(shown)
    assert [c["candidate"] for c in shown["candidates"]] == [1, 2]
    assert shown["winner"]["why"]
