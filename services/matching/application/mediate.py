"""Direct mediation (directe bemiddeling): homes meet waiting candidates.

For every home: the members with an eligible candidate (domain/eligibility.py) → ask the
contingent which of them is owed the home (AllocationRequested, a new `round` each time) → on
its answer (AllocationDecided of the current round; older rounds are stale and ignored)
propose that member's best eligible candidate — highest urgency, then longest waiting — with a
deadline of N Dutch working days (MatchProposed). If that candidate was taken meanwhile, the
next one of the member is tried; if the member has none left, the contingent is asked again.

Homes and candidates arrive in any order: a new home asks at once; a new or released
candidate makes the waiting homes it is eligible for ask again. Two homes processed at the
same moment never propose the same candidate: the candidate's row is locked and re-read
before it is proposed (and the database's partial unique indexes back that up).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import sqlalchemy as sa

from services.matching.adapters.db.repository import (
    Row,
    candidate_from_row,
    candidates_in,
    excluded_for_home,
    home_from_row,
    lock_candidate,
    lock_home,
)
from services.matching.adapters.db.tables import candidates, homes, matches
from services.matching.application import notify
from services.matching.application.explain import explain_proposal
from services.matching.application.unit import Unit
from services.matching.domain.candidate import Candidate
from services.matching.domain.eligibility import evaluate
from services.matching.domain.match import propose
from services.matching.domain.selection import eligible_members, ranked_candidates
from shared.events.contingent import AllocationDecided
from shared.events.matching import AllocationRequested, MatchProposed

log = logging.getLogger(__name__)

ASKING = ("waiting", "allocating")


async def request_allocation(
    unit: Unit, home_id: uuid.UUID, *, only_if_changed: bool = False,
    stale_after: timedelta | None = None,
) -> bool:
    """Ask the contingent who is owed this home among the members with an eligible candidate;
    a home nobody is eligible for waits (after one request naming nobody, if an earlier
    request may have left it allocated). Returns whether a request went out.

    `only_if_changed`: ask only when the set of members differs from the last request (or
    that request is older than `stale_after`) — so a home whose answer would be the same is
    not asked about again and again. A home whose answer is on its way is left alone.
    """
    row = await lock_home(unit.session, home_id)
    if row is None or row.status not in ASKING:
        return False
    home = home_from_row(row)
    excluded = await excluded_for_home(unit.session, home_id)
    pool = await candidates_in(unit.session, ("waiting",))
    members = sorted(eligible_members(home, pool, unit.rules.eligibility, excluded))
    if only_if_changed:
        stale = stale_after is not None and (
            row.requested_at is None or unit.now - row.requested_at >= stale_after)
        changed = members != (row.requested_members or [])
        if row.status == "allocating" and not stale:
            return False
        if not changed and not stale:
            return False
    if not members and not row.requested_members:
        await unit.session.execute(sa.update(homes).where(homes.c.home_id == home_id).values(
            status="waiting", requested_members=[], requested_at=unit.now))
        return False
    # Nobody eligible, but the last request named members: the contingent may still hold the
    # home for one of them (their proposal fell through, or they had nobody left). Asking
    # with no members releases it there — the member's share is not spent on a home nobody
    # is proposed — and the answer (nobody) lets the home wait.
    next_round = row.allocation_round + 1
    await unit.session.execute(sa.update(homes).where(homes.c.home_id == home_id).values(
        status="allocating", allocation_round=next_round, requested_members=members,
        requested_at=unit.now))
    await unit.outbox.add(unit.session, AllocationRequested(
        home_id=home_id, contingent_year=row.contingent_year, round=next_round,
        eligible_members=members,
    ), case_id=home_id, occurred_at=unit.now)
    return True


async def propose_on_decision(unit: Unit, decision: AllocationDecided) -> uuid.UUID | None:
    """Act on the contingent's answer: propose the owed member's best eligible candidate.

    A stale answer (the home moved on since it asked) changes nothing, so a replayed or
    duplicated answer never creates a second proposal.
    """
    row = await lock_home(unit.session, decision.home_id)
    if row is None or row.status != "allocating" or row.allocation_round != decision.round:
        log.info("ignoring a stale allocation answer (round %d)", decision.round)
        return None
    if decision.member_id is None:  # nobody with a share has an eligible candidate: wait,
        await unit.session.execute(sa.update(homes).where(homes.c.home_id == row.home_id)
                                   .values(status="waiting"))
        # unless candidates arrived while the contingent was deciding (they skipped this
        # home because its answer was on its way): then ask again at once
        await request_allocation(unit, row.home_id, only_if_changed=True)
        return None
    home = home_from_row(row)
    excluded = await excluded_for_home(unit.session, row.home_id)
    policy = unit.rules.eligibility
    ranked = ranked_candidates(
        home, await candidates_in(unit.session, ("waiting",), decision.member_id),
        decision.member_id, policy, excluded)
    for choice in ranked:
        locked = await lock_candidate(unit.session, uuid.UUID(choice.case_id))
        if locked is None or locked.status != "waiting":
            continue  # proposed for another home meanwhile: the next one of the member
        candidate = candidate_from_row(locked)
        if not evaluate(home, candidate, policy, excluded).eligible:
            continue  # its profile changed meanwhile
        first = locked.first_proposed_at is None
        return await _propose(unit, row, candidate, decision, excluded, first=first)
    await request_allocation(unit, row.home_id)  # the member has nobody left: ask again
    return None


async def _propose(unit: Unit, home_row: Row, candidate: Candidate,
                   decision: AllocationDecided, excluded: frozenset[str], *,
                   first: bool) -> uuid.UUID:
    home = home_from_row(home_row)
    match_id = uuid.uuid4()
    pool = await candidates_in(unit.session, ("waiting", "proposed"))
    explanation = explain_proposal(
        home=home, pool=pool, policy=unit.rules.eligibility, previously_declined=excluded,
        decision=decision, requested_members=home_row.requested_members or [],
        winner=candidate, proposed_at=unit.now)
    match = propose(str(match_id), home, candidate, unit.now,
                    working_days=unit.rules.decision_working_days,
                    calendar=unit.rules.calendar)
    proposal = match.proposal
    await unit.session.execute(sa.insert(matches).values(
        match_id=match_id, home_id=home_row.home_id,
        case_id=uuid.UUID(candidate.case_id), member_id=candidate.member_id,
        corporation_id=home.corporation_id, status=proposal.status.value,
        proposed_at=proposal.proposed_at, deadline=proposal.deadline,
        explanation=explanation, allocation_round=decision.round,
    ))
    await unit.session.execute(
        sa.update(candidates).where(candidates.c.case_id == uuid.UUID(candidate.case_id))
        .values(status=match.candidate.status.value,
                first_proposed_at=sa.func.coalesce(candidates.c.first_proposed_at, unit.now)))
    await unit.session.execute(sa.update(homes).where(homes.c.home_id == home_row.home_id)
                               .values(status="proposed"))
    await unit.outbox.add(unit.session, MatchProposed(
        match_id=match_id, home_id=home_row.home_id,
        client_ref=candidate.client_ref, member_id=candidate.member_id,
        corporation_id=home.corporation_id, municipality=home.municipality,
        contingent_year=home.contingent_year, deadline=proposal.deadline,
        intake_submitted_at=candidate.submitted_at,
    ), case_id=uuid.UUID(candidate.case_id), occurred_at=unit.now)
    await notify.proposal_arrived(unit, proposal, home)
    first_wait = unit.now - candidate.submitted_at if first else None
    unit.after_commit(lambda: unit.throughput.proposal_made(
        member_id=candidate.member_id, corporation_id=home.corporation_id,
        municipality=home.municipality, first_wait=first_wait))
    return match_id


async def offer_waiting_homes(unit: Unit, candidate: Candidate) -> int:
    """A new, changed or released candidate may unblock homes that found nobody eligible.

    Homes another transaction holds are skipped (it is deciding about them right now; the
    periodic revisit catches anything missed), so this never waits on a home while holding
    the candidate — no deadlock with a proposal that holds the home and wants the candidate.
    """
    rows = (await unit.session.execute(
        sa.select(homes).where(homes.c.status == "waiting").order_by(homes.c.offered_at)
    )).all()
    asked = 0
    for row in rows:
        if not evaluate(home_from_row(row), candidate, unit.rules.eligibility,
                        frozenset()).eligible:
            continue
        if await lock_home(unit.session, row.home_id, skip_locked=True) is None:
            continue
        asked += await request_allocation(unit, row.home_id, only_if_changed=True)
    return asked


async def revisit_homes(unit: Unit, *, stale_after: timedelta, year: int | None = None,
                        force: bool = False) -> int:
    """Ask again for waiting homes whose eligible members changed, and for homes whose last
    request is older than `stale_after` (an answer lost, a contingent changed meanwhile)."""
    await unit.hold_pool()
    query = sa.select(homes.c.home_id).where(homes.c.status.in_(ASKING)) \
        .order_by(homes.c.offered_at)
    if year is not None:
        query = query.where(homes.c.contingent_year == year)
    asked = 0
    for home_id in (await unit.session.execute(query)).scalars().all():
        locked = await lock_home(unit.session, home_id, skip_locked=True)
        if locked is None:
            continue
        if force:  # e.g. a new contingent: every waiting home asks again
            if locked.status == "waiting":
                asked += await request_allocation(unit, home_id)
        else:
            asked += await request_allocation(unit, home_id, only_if_changed=True,
                                              stale_after=stale_after)
    return asked
