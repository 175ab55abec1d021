"""What a transaction of allocation answers has read of the waiting pool, kept for its next
answers (`mediate.propose_on_decision`).

The consumer hands matching the contingent's answers in shared transactions, about nine at
a time in a burst of intakes. Each proposal reads the owed member's waiting candidates and, for its
explanation, the waiting pool counted per member and the candidates of the other members it
lists — mostly the same members for every home of a contingent year. Read once per
transaction and kept up to date with the transaction's own proposals, that is one read where
it was one per answer (docs/benchmark.md, round twenty).

Why it may be kept: a transaction of answers naming a member changes candidates only by
proposing them, and each proposal is applied here (`proposed`). Such answers take no pool
lock and share a transaction with nothing else (services/matching/adapters/kafka/handlers.py,
`pool_lock_for`); a transaction that holds the pool lock may bring candidates in or take them
out, so it always reads afresh. What other transactions commit meanwhile is seen by the next
transaction, just as a read a moment earlier would have missed it; and the proposal itself
proposes its candidate only if its row is still as read (`repository.seen_as_read`), or
else locks and re-reads it, so a candidate taken or changed meanwhile is never proposed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.matching.adapters.db.repository import pool_counts, waiting_of_members
from services.matching.application.unit import Unit
from services.matching.domain.candidate import Candidate
from shared.db import transaction_state

_SEEN = "matching.pool_seen"
_WAITING = "waiting"  # member → its waiting candidates, as read (and proposed since)
_COUNTS = "counts"  # contingent year → [waiting per member, candidates in open proposals]


def _kept(unit: Unit) -> dict[str, Any] | None:
    if unit.holds_pool:  # candidates may enter or leave in this transaction: read afresh
        return None
    seen = transaction_state(unit.session, _SEEN)
    seen.setdefault(_WAITING, {})
    seen.setdefault(_COUNTS, {})
    return seen


async def waiting_candidates(unit: Unit, members: Iterable[str]) -> list[Candidate]:
    """The waiting candidates of these members, in no particular order."""
    wanted = sorted(set(members))
    seen = _kept(unit)
    if seen is None:
        return await waiting_of_members(unit.session, wanted)
    waiting: dict[str, list[Candidate]] = seen[_WAITING]
    missing = [m for m in wanted if m not in waiting]
    if missing:
        for member in missing:
            waiting[member] = []
        for candidate in await waiting_of_members(unit.session, missing):
            waiting[candidate.member_id].append(candidate)
    return [c for m in wanted for c in waiting[m]]


async def waiting_counts(unit: Unit, year: int) -> tuple[dict[str, int], int]:
    """`repository.pool_counts` of the year: waiting candidates per member, and how many are
    held by an open proposal."""
    seen = _kept(unit)
    if seen is None:
        return await pool_counts(unit.session, year)
    counts = seen[_COUNTS]
    if year not in counts:
        per_member, proposed = await pool_counts(unit.session, year)
        counts[year] = [per_member, proposed]
    per_member, proposed = counts[year]
    return dict(per_member), proposed


def proposed(unit: Unit, candidate: Candidate) -> None:
    """The transaction proposed the candidate: it waits no longer."""
    seen = _kept(unit)
    if seen is None:
        return
    gone(unit, candidate)
    for entry in seen[_COUNTS].values():
        per_member = entry[0]
        if per_member.get(candidate.member_id, 0) > 0:  # of a member taking part in the year
            per_member[candidate.member_id] -= 1
            if not per_member[candidate.member_id]:
                del per_member[candidate.member_id]  # as the count leaves it out
            entry[1] += 1


def gone(unit: Unit, candidate: Candidate) -> None:
    """The candidate turned out not to be waiting any more (another transaction took it):
    the transaction's next answers do not consider it."""
    seen = _kept(unit)
    if seen is None:
        return
    kept = seen[_WAITING].get(candidate.member_id)
    if kept is not None:
        kept[:] = [c for c in kept if c.case_id != candidate.case_id]


def changed(unit: Unit, candidate: Candidate) -> None:
    """The candidate as just locked (its latest profile): kept in place of the one read."""
    seen = _kept(unit)
    if seen is None:
        return
    kept = seen[_WAITING].get(candidate.member_id)
    if kept is not None:
        kept[:] = [candidate if c.case_id == candidate.case_id else c for c in kept]
