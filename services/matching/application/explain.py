"""The explanation stored with every proposal (matches.explanation), and how it is shown.

For each proposal: the candidates considered (pseudonymous references only), why each
ineligible one was excluded (the rule codes and sentences of domain/eligibility.py), the
contingent's ranking of members at that moment (its AllocationDecided answer), and why the
winner won (the member owed the home, then urgency, then waiting time).

Bounded: the owed member's waiting candidates are evaluated in full and the best
`MAX_LISTED_OWED` listed (the winner ranks first, so it is always among them); of the other
members of the home's contingent year, whole members up to `MAX_LISTED_OTHERS` candidates are
listed (so every rank shown is exact) and the rest only counted (`pool`). Members with no part
in the year are neither listed nor counted: the home could never be owed to them. A region
with thousands waiting therefore stores a few kilobytes per proposal, not the whole pool.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from datetime import datetime
from typing import Any

from services.matching.domain.candidate import Candidate
from services.matching.domain.eligibility import EligibilityPolicy
from services.matching.domain.home import Home
from services.matching.domain.selection import ConsideredCandidate, consider
from shared.events.contingent import AllocationDecided

MAX_LISTED_OWED = 100
MAX_LISTED_OTHERS = 50


def members_to_list(waiting_per_member: Mapping[str, int], owed: str,
                    cap: int = MAX_LISTED_OTHERS) -> tuple[list[str], dict[str, int]]:
    """Which other members' candidates an explanation lists in full: members in id order
    while their waiting candidates fit under `cap` together (a member that does not fit is
    skipped, a smaller one after it may still fit). Returns (listed, not listed → count)."""
    listed: list[str] = []
    rest: dict[str, int] = {}
    room = cap
    for member in sorted(waiting_per_member):
        if member == owed:
            continue
        n = waiting_per_member[member]
        if n <= room:
            listed.append(member)
            room -= n
        else:
            rest[member] = n
    return listed, rest


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _why_winner(winner: ConsideredCandidate, runner_up: ConsideredCandidate | None,
                eligible_in_member: int) -> list[str]:
    if runner_up is None:
        return ["It is the only eligible candidate of that member."]
    lines = [f"It ranks first among the {eligible_in_member} eligible candidates of that member."]
    if winner.urgency.rank > runner_up.urgency.rank:
        lines.append(f"Its urgency ({winner.urgency.value}) is higher than that of the next "
                     f"eligible candidate ({runner_up.urgency.value}).")
    elif winner.waiting_since < runner_up.waiting_since:
        lines.append(f"It has the same urgency ({winner.urgency.value}) as the next eligible "
                     f"candidate and has waited longer (since {_day(winner.waiting_since)}, "
                     f"against {_day(runner_up.waiting_since)}).")
    else:
        lines.append("It has the same urgency and waiting time as the next eligible "
                     "candidate; the tie was broken by case id.")
    return lines


def explain_proposal(
    *, home: Home, pool: Iterable[Candidate], policy: EligibilityPolicy,
    previously_declined: Set[str], decision: AllocationDecided,
    requested_members: list[str], winner: Candidate, proposed_at: datetime,
    not_listed: Mapping[str, int] | None = None, in_other_proposals: int | None = None,
    max_listed_owed: int = MAX_LISTED_OWED,
) -> dict[str, Any]:
    """The explanation of one proposal, computed at the moment it is made.

    `pool`: the candidates evaluated (the owed member's in full, other members' whole or
    not at all); `not_listed`: other members' waiting candidates not evaluated, per member;
    `in_other_proposals`: candidates held by another open proposal (not waiting)."""
    considered = consider(home, pool, policy, previously_declined)
    mine = [c for c in considered if c.member_id == winner.member_id and c.eligible]
    best = next(c for c in mine if c.case_id == winner.case_id)
    runner_up = next((c for c in mine if c.case_id != winner.case_id), None)
    standings = getattr(decision, "standings", None)  # when the contingent adds them
    owed = (f"The contingent says member {decision.member_id} is owed home number "
            f"{decision.home_number} of contingent year {decision.contingent_year}: "
            f"{decision.reason}")
    if decision.skipped:
        owed += (" (the quota rule was skipped: no member it allowed had an eligible "
                 "candidate)")
    owed_listed = [c for c in considered if c.member_id == winner.member_id][:max_listed_owed]
    others = [c for c in considered if c.member_id != winner.member_id]
    owed_total = sum(1 for c in considered if c.member_id == winner.member_id)
    not_listed = dict(not_listed or {})
    return {
        "round": decision.round,
        "proposed_at": proposed_at.isoformat(),
        "contingent": {
            "year": decision.contingent_year,
            "eligible_members": requested_members,
            "member_id": decision.member_id,
            "home_number": decision.home_number,
            "skipped": decision.skipped,
            "reason": decision.reason,
            "standings": [s.model_dump(mode="json") if hasattr(s, "model_dump") else s
                          for s in standings] if standings else None,
        },
        "candidates": [
            {
                "client_ref": c.client_ref,
                "member_id": c.member_id,
                "eligible": c.eligible,
                "rank_in_member": c.rank,
                "urgency": c.urgency.value,
                "waiting_since": c.waiting_since.isoformat(),
                "excluded_because": [{"code": f.code.value, "message": f.message}
                                     for f in c.failures],
            }
            for c in [*owed_listed, *others]
        ],
        "pool": {
            "listed": len(owed_listed) + len(others),
            "owed_member_waiting": owed_total,
            "not_listed_waiting": sum(not_listed.values()) + owed_total - len(owed_listed),
            "not_listed_members": sorted(not_listed),
            "in_other_proposals": in_other_proposals,
        },
        "winner": {
            "client_ref": winner.client_ref,
            "member_id": winner.member_id,
            "why": [owed.rstrip(".") + ".", *_why_winner(best, runner_up, len(mine))],
        },
    }


def for_corporation(explanation: Mapping[str, Any]) -> dict[str, Any]:
    """What a corporation sees: the same reasoning without any client reference (the
    candidates are numbered instead)."""
    shown = dict(explanation)
    shown["candidates"] = [
        {k: v for k, v in c.items() if k != "client_ref"} | {"candidate": i}
        for i, c in enumerate(explanation.get("candidates", []), start=1)
    ]
    winner = explanation.get("winner")
    if winner:
        shown["winner"] = {k: v for k, v in winner.items() if k != "client_ref"}
    return shown
