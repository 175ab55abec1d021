"""Direct mediation (directe bemiddeling): homes meet waiting candidates.

For every home: the members with an eligible candidate (domain/eligibility.py) → ask the
contingent which of them is owed the home (AllocationRequested, a new `round` each time) → on
its answer (AllocationDecided of the current round; older rounds are stale and ignored)
propose that member's best eligible candidate — highest urgency, then longest waiting — with a
deadline of N Dutch working days (MatchProposed). If that candidate was taken meanwhile, the
next one of the member is tried; if the member has none left, the contingent is asked again.

Homes and candidates arrive in any order: a new home asks at once; a new or released
candidate makes the waiting homes it is eligible for ask again. Two homes processed at the
same moment never propose the same candidate: a candidate is proposed only if its row is
still waiting and as this transaction read it, in the statement that proposes it (else it is
locked and re-read); the database's partial unique indexes back that up.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import Enum

import sqlalchemy as sa

from services.matching.adapters.db.repository import (
    HomeFound,
    Row,
    Seen,
    asking_homes,
    candidate_from_row,
    excluded_of,
    home_from_row,
    lock_candidate,
    lock_home,
    record_asked,
    seen_as_read,
    waiting_homes_admitting,
    waiting_rows_within,
)
from services.matching.adapters.db.tables import candidates, homes, matches
from services.matching.application import notify, pool_seen
from services.matching.application.explain import explain_proposal, members_to_list
from services.matching.application.unit import Unit
from services.matching.domain.candidate import Candidate
from services.matching.domain.eligibility import hard_limits, is_eligible
from services.matching.domain.home import Home
from services.matching.domain.match import propose
from services.matching.domain.selection import ranked_candidates
from shared.events.contingent import AllocationDecided
from shared.events.matching import AllocationRequested, MatchProposed

log = logging.getLogger(__name__)

ASKING = ("waiting", "allocating")

# The statements run per home, intake and proposal, built once (shared/db.py, "Statements
# built once").
_home = homes.c.home_id == sa.bindparam("home")
_HOME_STATUS = sa.update(homes).where(_home).values(status=sa.bindparam("status"))
# A proposal: the match, the candidate and the home written in one statement (one round
# trip, not three: this runs for every proposal). Both rows are locked by the proposing
# transaction already.
# The parameters' names are no column's ("p_…"): SQLAlchemy would add a parameter named like
# a column to the SET clause of the UPDATEs inside the statement as well.
_PROPOSED = ("match_id", "home_id", "case_id", "member_id", "corporation_id", "status",
             "proposed_at", "deadline", "explanation", "allocation_round")
_propose_candidate = sa.update(candidates).where(
    candidates.c.case_id == sa.bindparam("p_case_id"),
).values(
    status=sa.bindparam("p_candidate_status"),
    first_proposed_at=sa.func.coalesce(candidates.c.first_proposed_at,
                                       sa.bindparam("p_first_proposed_at")),
).returning(candidates.c.case_id)
_propose_home = sa.update(homes).where(homes.c.home_id == sa.bindparam("p_home_id")).values(
    status="proposed").returning(homes.c.home_id)
_PROPOSE = sa.insert(matches).values(
    {c: sa.bindparam(f"p_{c}", type_=matches.c[c].type) for c in _PROPOSED},
).add_cte(_propose_candidate.cte("candidate_proposed")).add_cte(
    _propose_home.cte("home_proposed"))
# The same, for a candidate not locked beforehand: only if its row is still as this
# transaction read it (`repository.seen_as_read`) — waiting, the same profile, first proposed
# when it was — and nothing at all otherwise. Its lock is the update's own. One round trip
# per proposal fewer than locking it first; the row's content is compared, not its version
# (xmin), which a transaction changing the row twice would leave the same.
_if_unchanged = _propose_candidate.where(
    candidates.c.status == "waiting",
    sa.func.md5(sa.cast(candidates.c.profile, sa.Text)) == sa.bindparam("p_profile_digest"),
    candidates.c.first_proposed_at.is_not_distinct_from(
        sa.bindparam("p_first_seen", type_=candidates.c.first_proposed_at.type)),
).cte("candidate_proposed")
_proposable = sa.exists(sa.select(1).select_from(_if_unchanged))
_PROPOSE_IF_UNCHANGED = sa.insert(matches).from_select(list(_PROPOSED), sa.select(
    *(sa.bindparam(f"p_{c}", type_=matches.c[c].type) for c in _PROPOSED),
).where(_proposable)).add_cte(_if_unchanged).add_cte(
    _propose_home.where(_proposable).cte("home_proposed"),
).returning(matches.c.match_id)


async def eligible_members_for(unit: Unit, home: Home, excluded: frozenset[str], *,
                               pool: Sequence[Row] | None = None) -> list[str]:
    """The members of the home's contingent year with at least one eligible waiting
    candidate for the home: the database narrows the pool to those members and the home's
    hard limits, and one eligible candidate per member is enough (the rest of that member's
    rows are not even parsed). A member outside the year cannot be owed the home, so asking
    about one would only bring back an answer naming nobody. `pool`: those rows, read
    already (`repository.add_candidate`)."""
    policy = unit.rules.eligibility
    found: set[str] = set()
    if pool is None:
        pool = await waiting_rows_within(unit.session, hard_limits(home, policy),
                                         home.contingent_year)
    for row in pool:
        if row.member_id not in found and is_eligible(
                home, candidate_from_row(row), policy, excluded):
            found.add(row.member_id)
    return sorted(found)


async def request_allocation(
    unit: Unit, home_id: uuid.UUID, *, only_if_changed: bool = False,
    stale_after: timedelta | None = None, locked: Row | None = None,
    pool: Sequence[Row] | None = None,
) -> bool:
    """Ask the contingent who is owed this home among the members with an eligible candidate;
    a home nobody is eligible for waits (after one request naming nobody, if an earlier
    request may have left it allocated). Returns whether a request went out.

    `only_if_changed`: ask only when the set of members differs from the last request (or
    that request is older than `stale_after`) — so a home whose answer would be the same is
    not asked about again and again. A home whose answer is on its way is left alone (the
    rule: `next_step`). `locked`: the home's row when the caller has locked it already in
    this transaction; `pool`: its waiting pool, read with it (`eligible_members_for`).
    """
    row = locked if locked is not None else await lock_home(unit.session, home_id)
    if row is None:
        return False
    stale = stale_after is not None and is_stale(row.requested_at, unit.now, stale_after)
    requested = row.requested_members or []
    if next_step(row.status, requested, None, only_if_changed=only_if_changed,
                 stale=stale) is Step.SKIP:
        return False  # decided without searching the pool
    members = await eligible_members_for(unit, home_from_row(row), excluded_of(row),
                                         pool=pool)
    step = next_step(row.status, requested, members, only_if_changed=only_if_changed,
                     stale=stale)
    if step is Step.WAIT:
        await record_asked(unit.session, home_id, status="waiting",
                           round=row.allocation_round, members=[], at=unit.now)
    if step is not Step.ASK:
        return False
    next_round = row.allocation_round + 1
    await record_asked(unit.session, home_id, status="allocating", round=next_round,
                       members=members, at=unit.now)
    await unit.outbox.add(unit.session, AllocationRequested(
        home_id=home_id, contingent_year=row.contingent_year, round=next_round,
        eligible_members=members,
    ), case_id=home_id, occurred_at=unit.now)
    return True


class Step(Enum):
    """What `request_allocation` does with a home (`next_step`)."""

    SKIP = "skip"  # leave it: its answer is on its way, or the question would be the same
    WAIT = "wait"  # nobody to ask about and nothing to release: it waits (requested_at set)
    ASK = "ask"  # send AllocationRequested naming the eligible members (perhaps nobody)


def next_step(status: str, requested: Sequence[str], members: Sequence[str] | None, *,
              only_if_changed: bool, stale: bool) -> Step:
    """The rule for asking the contingent (again) about a home, from its row and its eligible
    members; `members` None: not searched yet (then ASK means "may ask": search them and
    decide again). One rule for `request_allocation` and for the safety net's pass without
    locks (`revisit_would_ask`), so the pass never leaves out a home the revisit would ask
    about.

    - a home that is not asking (proposed, let, withdrawn): SKIP;
    - an allocating home (its answer is on its way): SKIP, unless the request is due (forced,
      or stale: its answer may be lost);
    - the same members as the last request: SKIP, unless due;
    - nobody eligible and the last request named nobody: WAIT — nothing to ask about and
      nothing for the contingent to release;
    - otherwise ASK. With nobody eligible but members named before, the request naming
      nobody releases the home at the contingent: the member's share is not spent on a home
      nobody is proposed."""
    if status not in ASKING:
        return Step.SKIP
    due = not only_if_changed or stale
    if status == "allocating" and not due:
        return Step.SKIP
    if members is None:
        return Step.ASK
    if not due and list(members) == list(requested):
        return Step.SKIP
    if not members and not requested:
        return Step.WAIT
    return Step.ASK


def is_stale(requested_at: datetime | None, now: datetime, stale_after: timedelta) -> bool:
    """A home's last request is old enough to ask again even if nothing changed (its answer
    may have been lost, or the contingent changed meanwhile)."""
    return requested_at is None or now - requested_at >= stale_after


def revisit_would_ask(status: str, requested: Sequence[str], members: Sequence[str] | None,
                      *, stale: bool) -> bool:
    """Whether revisiting a home (`request_allocation(only_if_changed=True)`) can send a
    request, judged from its row and its eligible members read without locks (`next_step`):
    `homes_worth_revisiting` lets only those homes take the pool lock and their row.
    `members`: the waiting home's eligible members (not needed for an allocating one). A
    home it would only mark as waiting (WAIT) is left out: nothing would be asked."""
    return next_step(status, requested, members, only_if_changed=True,
                     stale=stale) is Step.ASK


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
        await unit.session.execute(_HOME_STATUS, {"home": row.home_id, "status": "waiting"})
        # unless candidates arrived while the contingent was deciding (they skipped this
        # home because its answer was on its way): then ask again at once
        await request_allocation(unit, row.home_id, only_if_changed=True)
        return None
    home = home_from_row(row)
    excluded = excluded_of(row)
    policy = unit.rules.eligibility
    mine = await pool_seen.waiting_candidates(unit, [decision.member_id])
    ranked = ranked_candidates(home, mine, decision.member_id, policy, excluded)
    for choice in ranked:
        seen = seen_as_read(unit.session, uuid.UUID(choice.case_id))
        if seen is not None:  # proposed if its row is as read, without a lock beforehand
            proposal = await _propose(
                unit, row, choice, decision, excluded, first=seen.first_proposed_at is None,
                owed_pool=_with_winner(mine, choice), unchanged_since=seen)
            if proposal is not None:
                return proposal
        locked = await lock_candidate(unit.session, uuid.UUID(choice.case_id))
        if locked is None or locked.status != "waiting":
            pool_seen.gone(unit, choice)
            continue  # proposed for another home meanwhile: the next one of the member
        candidate = candidate_from_row(locked)
        pool_seen.changed(unit, candidate)
        if not is_eligible(home, candidate, policy, excluded):
            continue  # its profile changed meanwhile
        first = locked.first_proposed_at is None
        match_id = await _propose(unit, row, candidate, decision, excluded, first=first,
                                  owed_pool=_with_winner(mine, candidate))
        assert match_id is not None  # proposed unconditionally: its row is locked
        return match_id
    await request_allocation(unit, row.home_id)  # the member has nobody left: ask again
    return None


def _with_winner(mine: list[Candidate], winner: Candidate) -> list[Candidate]:
    """The explanation's pool: the member's candidates as read, the winner as proposed."""
    return [c for c in mine if c.case_id != winner.case_id] + [winner]


async def _propose(unit: Unit, home_row: Row, candidate: Candidate,
                   decision: AllocationDecided, excluded: frozenset[str], *,
                   first: bool, owed_pool: list[Candidate],
                   unchanged_since: Seen | None = None) -> uuid.UUID | None:
    """Propose the candidate for the home; `unchanged_since`: only if the candidate's row
    is still as read (None, and nothing written, otherwise)."""
    home = home_from_row(home_row)
    match_id = uuid.uuid4()
    # The explanation's pool (bounded, see explain.py): the owed member's waiting candidates
    # in full, other members of the home's contingent year whole while they fit, the rest
    # counted. Members with no part in the year are left out: the home could never be owed
    # to them, and a region's other years would fill the list with them.
    # Read once in a transaction of answers (pool_seen.py).
    waiting, in_proposals = await pool_seen.waiting_counts(unit, home.contingent_year)
    listed, not_listed = members_to_list(waiting, candidate.member_id)
    pool = list(owed_pool)
    if listed:
        pool += await pool_seen.waiting_candidates(unit, listed)
    explanation = explain_proposal(
        home=home, pool=pool, policy=unit.rules.eligibility, previously_declined=excluded,
        decision=decision, requested_members=home_row.requested_members or [],
        winner=candidate, proposed_at=unit.now, not_listed=not_listed,
        in_other_proposals=in_proposals)
    match = propose(str(match_id), home, candidate, unit.now,
                    working_days=unit.rules.decision_working_days,
                    calendar=unit.rules.calendar)
    proposal = match.proposal
    params = {f"p_{name}": value for name, value in {
        "match_id": match_id, "home_id": home_row.home_id,
        "case_id": uuid.UUID(candidate.case_id), "member_id": candidate.member_id,
        "corporation_id": home.corporation_id, "status": proposal.status.value,
        "proposed_at": proposal.proposed_at, "deadline": proposal.deadline,
        "explanation": explanation, "allocation_round": decision.round,
        "candidate_status": match.candidate.status.value, "first_proposed_at": unit.now,
    }.items()}
    if unchanged_since is None:
        await unit.session.execute(_PROPOSE, params)
    elif (await unit.session.execute(_PROPOSE_IF_UNCHANGED, {
            **params, "p_profile_digest": unchanged_since.profile_digest,
            "p_first_seen": unchanged_since.first_proposed_at})).first() is None:
        return None  # changed since it was read: the caller locks it and looks again
    pool_seen.proposed(unit, candidate)
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

    The database narrows the waiting homes to those whose hard limits admit the candidate;
    the domain decides. Homes another transaction holds are skipped (it is deciding about
    them right now; the periodic revisit catches anything missed), so this never waits on a
    home while holding the candidate — no deadlock with a proposal that holds the home and
    wants the candidate.
    """
    policy = unit.rules.eligibility
    rows = await waiting_homes_admitting(unit.session, candidate, policy.readiness_grace_days)
    return await ask_for_homes_admitting(unit, candidate, rows)


async def ask_for_homes_admitting(unit: Unit, candidate: Candidate,
                                  homes: Sequence[Row | HomeFound]) -> int:
    """`offer_waiting_homes` once the homes are found (a new candidate finds them locked,
    with their pools, as it is added: `HomeFound`, see `repository.add_candidate`)."""
    policy = unit.rules.eligibility
    asked = 0
    for home in homes:
        row, pool = home if isinstance(home, HomeFound) else (home, None)
        if not is_eligible(home_from_row(row), candidate, policy, frozenset()):
            continue
        held = row if pool is not None else await lock_home(unit.session, row.home_id,
                                                            skip_locked=True)
        if held is None:
            continue
        asked += await request_allocation(unit, row.home_id, only_if_changed=True,
                                          locked=held, pool=pool)
    return asked


async def revisit_homes(unit: Unit, *, stale_after: timedelta, year: int | None = None,
                        force: bool = False) -> int:
    """Ask again for waiting homes whose eligible members changed, and for homes whose last
    request is older than `stale_after` (an answer lost, a contingent changed meanwhile) —
    all in the caller's transaction (the ContingentSet handler: a new contingent's waiting
    homes ask again). The periodic safety net uses `revisit_one` instead."""
    await unit.hold_pool()
    asked = 0
    for home_id in await homes_to_revisit(unit, year=year):
        locked = await lock_home(unit.session, home_id, skip_locked=True)
        if locked is None:
            continue
        if force:  # e.g. a new contingent: every waiting home asks again
            if locked.status == "waiting":
                asked += await request_allocation(unit, home_id, locked=locked)
        else:
            asked += await request_allocation(unit, home_id, only_if_changed=True,
                                              stale_after=stale_after, locked=locked)
    return asked


async def homes_to_revisit(unit: Unit, *, year: int | None = None) -> list[uuid.UUID]:
    """The homes a revisit looks at: waiting for somebody or asking, oldest offer first
    (of one contingent year, when given)."""
    query = sa.select(homes.c.home_id).where(homes.c.status.in_(ASKING)) \
        .order_by(homes.c.offered_at)
    if year is not None:
        query = query.where(homes.c.contingent_year == year)
    return list((await unit.session.execute(query)).scalars().all())


async def homes_worth_revisiting(unit: Unit, *, stale_after: timedelta) -> list[uuid.UUID]:
    """The periodic safety net's first pass: the homes a revisit could make ask again (see
    `revisit_would_ask`), oldest offer first — read without any lock, one search of the
    pool per waiting home.

    Why a pass without locks: revisiting a home takes the pool lock (shared) and the home's
    row in a transaction of its own. With hundreds of homes waiting, that was hundreds of
    transactions a round, each queueing for the pool lock behind the intakes being handled —
    and each intake's transaction behind them: in a 1,000-intake burst with 1,000 homes
    waiting, 767 such transactions waited 6.3 s in all for the lock, and not one asked
    (docs/benchmark.md, round eighteen). A home this pass leaves out can only have been
    changed by a transaction still in flight, which asks for it itself or is seen by the
    next round; a home it picks is judged again under the locks (`revisit_one`)."""
    found = []
    for row in await asking_homes(unit.session):
        members = None
        if row.status == "waiting":
            members = await eligible_members_for(unit, home_from_row(row), excluded_of(row))
        if revisit_would_ask(row.status, row.requested_members or [], members,
                             stale=is_stale(row.requested_at, unit.now, stale_after)):
            found.append(row.home_id)
    return found


async def revisit_one(unit: Unit, home_id: uuid.UUID, *, stale_after: timedelta) -> bool:
    """The periodic safety net for one home, in its own short transaction: the pool lock is
    held for one home at a time, never for the whole sweep (which, with hundreds of homes
    waiting, held up every intake and offer for half a minute). Shared: only this home
    may enter the pool (see Unit.hold_pool)."""
    await unit.hold_pool(shared=True)
    held = await lock_home(unit.session, home_id, skip_locked=True)
    if held is None:
        return False
    return await request_allocation(unit, home_id, only_if_changed=True,
                                    stale_after=stale_after, locked=held)
