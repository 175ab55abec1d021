"""Selection within a member: urgency, then waiting time, then case id; and the explanation."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from matching_builders import POLICY, make_candidate, make_home

from services.matching.domain.candidate import Urgency
from services.matching.domain.eligibility import RuleCode
from services.matching.domain.selection import (
    consider,
    eligible_members,
    ranked_candidates,
    select_candidate,
)


def at(day: int) -> datetime:
    return datetime(2026, 1, day, 9, 0, tzinfo=UTC)


def test_highest_urgency_wins_within_the_member_even_if_it_waited_less() -> None:
    long_waiting = make_candidate(case_id="a", urgency=Urgency.NORMAL, submitted_at=at(1))
    urgent = make_candidate(case_id="b", urgency=Urgency.URGENT, submitted_at=at(20))
    high = make_candidate(case_id="c", urgency=Urgency.HIGH, submitted_at=at(2))
    chosen = select_candidate(make_home(), [long_waiting, urgent, high], "m01", POLICY)
    assert chosen == urgent


def test_urgency_orders_low_normal_high_urgent() -> None:
    assert [u.rank for u in (Urgency.LOW, Urgency.NORMAL, Urgency.HIGH, Urgency.URGENT)] == [
        0,
        1,
        2,
        3,
    ]


def test_at_equal_urgency_the_client_waiting_longest_wins() -> None:
    newer = make_candidate(case_id="a", submitted_at=at(10))
    older = make_candidate(case_id="b", submitted_at=at(3))
    assert select_candidate(make_home(), [newer, older], "m01", POLICY) == older


def test_full_ties_are_broken_by_case_id_whatever_the_input_order() -> None:
    candidates = [make_candidate(case_id=case_id, submitted_at=at(5)) for case_id in "dbca"]
    for seed in range(5):
        random.Random(seed).shuffle(candidates)
        chosen = select_candidate(make_home(), candidates, "m01", POLICY)
        assert chosen is not None and chosen.case_id == "a"


def test_only_candidates_of_the_member_the_contingent_chose_are_selected() -> None:
    other_member_urgent = make_candidate(case_id="x", member_id="m02", urgency=Urgency.URGENT)
    own = make_candidate(case_id="y", member_id="m01", urgency=Urgency.LOW)
    assert select_candidate(make_home(), [other_member_urgent, own], "m01", POLICY) == own


def test_an_ineligible_urgent_candidate_is_passed_over_for_an_eligible_one() -> None:
    urgent_too_big = make_candidate(case_id="a", urgency=Urgency.URGENT, required_bedrooms=3)
    fitting = make_candidate(case_id="b", urgency=Urgency.LOW)
    assert select_candidate(make_home(), [urgent_too_big, fitting], "m01", POLICY) == fitting


def test_no_candidate_is_selected_when_the_member_has_none_eligible() -> None:
    too_big = make_candidate(required_bedrooms=3)
    assert select_candidate(make_home(), [too_big], "m01", POLICY) is None
    assert select_candidate(make_home(), [], "m01", POLICY) is None


def test_declined_client_is_skipped_and_the_next_in_line_is_selected() -> None:
    first = make_candidate(case_id="a", submitted_at=at(1))
    second = make_candidate(case_id="b", submitted_at=at(2))
    chosen = select_candidate(make_home(), [first, second], "m01", POLICY, frozenset({"a"}))
    assert chosen == second


def test_eligible_members_lists_only_members_with_an_eligible_candidate() -> None:
    candidates = [
        make_candidate(case_id="a", member_id="m01"),
        make_candidate(case_id="b", member_id="m02", required_bedrooms=3),
        make_candidate(case_id="c", member_id="m03"),
        make_candidate(case_id="d", member_id="m03", required_bedrooms=3),
    ]
    assert eligible_members(make_home(), candidates, POLICY, frozenset()) == {"m01", "m03"}


def test_ranked_candidates_orders_a_members_eligible_candidates_best_first() -> None:
    candidates = [
        make_candidate(case_id="a", urgency=Urgency.NORMAL, submitted_at=at(1)),
        make_candidate(case_id="b", urgency=Urgency.HIGH, submitted_at=at(9)),
        make_candidate(case_id="c", urgency=Urgency.NORMAL, submitted_at=at(4)),
        make_candidate(case_id="d", required_bedrooms=5),
    ]
    ranked = ranked_candidates(make_home(), candidates, "m01", POLICY, frozenset())
    assert [c.case_id for c in ranked] == ["b", "a", "c"]


def test_consider_explains_every_candidate_with_rank_and_failures_by_pseudonymous_ref() -> None:
    candidates = [
        make_candidate(case_id="a", client_ref="r-a", member_id="m02"),
        make_candidate(case_id="b", client_ref="r-b", member_id="m01", submitted_at=at(9)),
        make_candidate(case_id="c", client_ref="r-c", member_id="m01", required_bedrooms=2),
        make_candidate(case_id="d", client_ref="r-d", member_id="m01", submitted_at=at(2)),
    ]
    considered = consider(make_home(), candidates, POLICY, frozenset())
    assert [(c.member_id, c.case_id, c.eligible, c.rank) for c in considered] == [
        ("m01", "d", True, 1),
        ("m01", "b", True, 2),
        ("m01", "c", False, None),
        ("m02", "a", True, 1),
    ]
    not_eligible = considered[2]
    assert not_eligible.client_ref == "r-c"
    assert [f.code for f in not_eligible.failures] == [RuleCode.TOO_FEW_BEDROOMS]
    assert considered[0].waiting_since == at(2)
    assert considered[0].urgency is Urgency.NORMAL
