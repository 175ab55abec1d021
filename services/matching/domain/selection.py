"""Selection: which candidate gets the next proposal for a home.

Allocation has two steps (DESIGN "services → matching"):

1. The **contingent** decides which member organisation is owed the next home, among the
   members that have at least one eligible candidate. Matching supplies that set with
   :func:`eligible_members`; the contingent service owns the quota arithmetic.
2. **Within that member**, :func:`select_candidate` picks the eligible candidate with the
   highest urgency, then the longest wait (earliest ``submitted_at``), then the smallest
   ``case_id`` so that the choice is deterministic.

:func:`consider` returns the full, structured reasoning (every candidate, eligible or not,
with the rule failures and its rank within its member) for the home's explanation. It holds
only pseudonymous references; never a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import datetime

from .candidate import Candidate, Urgency
from .eligibility import EligibilityPolicy, RuleFailure, evaluate, is_eligible
from .home import Home


@dataclass(frozen=True, slots=True)
class ConsideredCandidate:
    """One candidate as the engine saw it for one home (for the explanation).

    ``rank`` is the 1-based position among the *eligible* candidates of the same member
    (1 = would be chosen if the member is owed the home); None when not eligible.
    """

    case_id: str
    client_ref: str
    member_id: str
    eligible: bool
    failures: tuple[RuleFailure, ...]
    urgency: Urgency
    waiting_since: datetime
    rank: int | None


def priority_key(candidate: Candidate) -> tuple[int, datetime, str]:
    """Sort key within a member: urgency high first, then earliest submission, then case id."""
    return (-candidate.urgency.rank, candidate.submitted_at, candidate.case_id)


def consider(
    home: Home,
    candidates: Iterable[Candidate],
    policy: EligibilityPolicy,
    previously_declined: Set[str] = frozenset(),
) -> tuple[ConsideredCandidate, ...]:
    """Evaluate every candidate for the home.

    Ordered by member id, then eligible candidates in priority order, then the ineligible
    ones in priority order.
    """
    evaluated = [
        (candidate, evaluate(home, candidate, policy, previously_declined))
        for candidate in candidates
    ]
    evaluated.sort(
        key=lambda pair: (pair[0].member_id, not pair[1].eligible, priority_key(pair[0]))
    )
    considered: list[ConsideredCandidate] = []
    rank_in_member: dict[str, int] = {}
    for candidate, result in evaluated:
        rank: int | None = None
        if result.eligible:
            rank = rank_in_member.get(candidate.member_id, 0) + 1
            rank_in_member[candidate.member_id] = rank
        considered.append(
            ConsideredCandidate(
                case_id=candidate.case_id,
                client_ref=candidate.client_ref,
                member_id=candidate.member_id,
                eligible=result.eligible,
                failures=result.failures,
                urgency=candidate.urgency,
                waiting_since=candidate.submitted_at,
                rank=rank,
            )
        )
    return tuple(considered)


def eligible_members(
    home: Home,
    candidates: Iterable[Candidate],
    policy: EligibilityPolicy,
    previously_declined: Set[str] = frozenset(),
) -> frozenset[str]:
    """The member organisations with at least one eligible candidate for the home.

    A member already found is not looked at again: one eligible candidate is enough."""
    found: set[str] = set()
    for candidate in candidates:
        if candidate.member_id not in found and is_eligible(
                home, candidate, policy, previously_declined):
            found.add(candidate.member_id)
    return frozenset(found)


def ranked_candidates(
    home: Home,
    candidates: Iterable[Candidate],
    member_id: str,
    policy: EligibilityPolicy,
    previously_declined: Set[str] = frozenset(),
) -> tuple[Candidate, ...]:
    """The member's eligible candidates for the home, best first."""
    eligible = [
        candidate
        for candidate in candidates
        if candidate.member_id == member_id
        and is_eligible(home, candidate, policy, previously_declined)
    ]
    return tuple(sorted(eligible, key=priority_key))


def select_candidate(
    home: Home,
    candidates: Iterable[Candidate],
    member_id: str,
    policy: EligibilityPolicy,
    previously_declined: Set[str] = frozenset(),
) -> Candidate | None:
    """The candidate of ``member_id`` to propose for the home, or None if it has none eligible.

    Highest urgency first; among equal urgency the longest wait (earliest ``submitted_at``);
    then the smallest ``case_id``.
    """
    ranked = ranked_candidates(home, candidates, member_id, policy, previously_declined)
    return ranked[0] if ranked else None
