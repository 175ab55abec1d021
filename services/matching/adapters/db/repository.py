"""Loading and storing the domain's immutable objects (rows ↔ Home, Candidate, MatchProposal).

Locks: a use case that changes a home, a candidate or a proposal locks its row `FOR UPDATE`
first, always in the order **home → candidate → match** (after the pool lock,
`Unit.hold_pool`, where it takes one), so two transactions about the same things queue up
instead of deadlocking, and the outbox receives their events in commit order (see
shared/outbox.py on per-case order).

The statements on the hot paths are built once, with `sa.bindparam` placeholders (see
shared/db.py, "Statements built once").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.adapters.db.tables import (
    candidates,
    contingent_members,
    homes,
    matches,
)
from services.matching.domain.candidate import (
    AccessibilityNeed,
    Candidate,
    CandidateStatus,
    ClusterPreference,
    Risk,
    RiskCategory,
    Urgency,
)
from services.matching.domain.decline_reasons import DecidedBy, DeclineReason
from services.matching.domain.eligibility import HardLimits
from services.matching.domain.home import (
    AccessibilityFeature,
    Contract,
    ContractKind,
    Home,
    HomeStatus,
)
from services.matching.domain.proposal import (
    CancelReason,
    ClientAnswer,
    ClientResponse,
    MatchProposal,
    ProposalStatus,
    Tenancy,
)
from shared.db import at_commit, one_of, pending_keys, transaction_state, write_pending_first

Row = Any  # a SQLAlchemy Row of one of the tables

# The application's home statuses (it also knows *why* a home is offered) → the domain's.
HOME_STATUS = {
    "waiting": HomeStatus.OFFERED,  # no member with an eligible candidate (yet)
    "allocating": HomeStatus.OFFERED,  # the contingent has been asked who is owed it
    "proposed": HomeStatus.PROPOSED,
    "let": HomeStatus.LET,
    "withdrawn": HomeStatus.WITHDRAWN,
}
OPEN = ("proposed", "accepted")


# --- rows → domain ---------------------------------------------------------------------------


def contract_from(data: dict[str, Any]) -> Contract:
    return Contract(ContractKind(data["type"]), data.get("omklap_after_months"),
                    data.get("term_months"))


def home_from(home_id: uuid.UUID, corporation_id: str, year: int, offer: dict[str, Any],
              status: str = "waiting", withdrawn_at: datetime | None = None) -> Home:
    """A domain Home from the HomeOffered payload (JSON mode) the homes table keeps."""
    return Home(
        home_id=str(home_id), corporation_id=corporation_id,
        municipality=offer["municipality"], postcode4=offer["postcode4"],
        bedrooms=int(offer["bedrooms"]), rent=Decimal(str(offer["rent"])),
        contract=contract_from(offer["contract"]),
        available_from=date.fromisoformat(offer["available_from"]), contingent_year=year,
        features=frozenset(AccessibilityFeature(f) for f in offer.get("accessibility", [])),
        near_support_point=bool(offer.get("near_support_point", False)),
        status=HOME_STATUS[status], withdrawn_at=withdrawn_at,
    )


def home_from_row(row: Row) -> Home:
    return home_from(row.home_id, row.corporation_id, row.contingent_year, row.offer,
                     row.status, row.withdrawn_at)


def candidate_from(case_id: uuid.UUID, client_ref: str, member_id: str,
                   profile: dict[str, Any], submitted_at: datetime,
                   status: str = "waiting", withdrawn_at: datetime | None = None) -> Candidate:
    """A domain Candidate from the intake's MatchingProfile (JSON mode: euros as strings)."""
    return Candidate(
        case_id=str(case_id), client_ref=client_ref, member_id=member_id,
        adults=int(profile["household"]["adults"]),
        children=int(profile["household"]["children"]),
        required_bedrooms=int(profile["required_bedrooms"]),
        monthly_income=Decimal(str(profile["monthly_income"])),
        max_rent=Decimal(str(profile["max_rent"])),
        urgency=Urgency(profile.get("urgency", "normal")),
        ready_from=date.fromisoformat(profile["ready_from"]),
        submitted_at=submitted_at,
        accessibility_needs=frozenset(
            AccessibilityNeed(n) for n in profile.get("accessibility_needs", [])),
        preferred_municipalities=frozenset(profile.get("preferred_municipalities", [])),
        excluded_municipalities=frozenset(profile.get("excluded_municipalities", [])),
        cluster_preference=ClusterPreference(profile.get("cluster_preference", "no_preference")),
        support_hours=int(profile.get("support_hours_per_week", 0)),
        risks=tuple(Risk(RiskCategory(r["category"]), r["mitigation"])
                    for r in profile.get("risks", [])),
        status=CandidateStatus(status), withdrawn_at=withdrawn_at,
    )


def candidate_from_row(row: Row) -> Candidate:
    return candidate_from(row.case_id, row.client_ref, row.member_id, row.profile,
                          row.submitted_at, row.status, row.withdrawn_at)


def _tenancy_from(data: dict[str, Any] | None) -> Tenancy | None:
    if not data:
        return None
    return Tenancy(signed_on=date.fromisoformat(data["signed_on"]),
                   starts_on=date.fromisoformat(data["start_date"]),
                   contract=contract_from(data["contract"]))


def proposal_from_row(row: Row, client_ref: str) -> MatchProposal:
    response = None
    if row.client_response:
        response = ClientResponse(ClientAnswer(row.client_response), row.client_responded_at)
    return MatchProposal(
        match_id=str(row.match_id), home_id=str(row.home_id), case_id=str(row.case_id),
        client_ref=client_ref, member_id=row.member_id, corporation_id=row.corporation_id,
        proposed_at=row.proposed_at, deadline=row.deadline, status=ProposalStatus(row.status),
        decided_at=row.decided_at, ended_at=row.ended_at,
        decline_reason=DeclineReason(row.decline_reason) if row.decline_reason else None,
        decline_note=row.decline_note,
        declined_by=DecidedBy(row.declined_by) if row.declined_by else None,
        cancel_reason=CancelReason(row.cancel_reason) if row.cancel_reason else None,
        client_response=response, tenancy=_tenancy_from(row.tenancy),
    )


# --- domain → rows ---------------------------------------------------------------------------


def contract_json(contract: Contract) -> dict[str, Any]:
    return {"type": contract.kind.value, "omklap_after_months": contract.omklap_after_months,
            "term_months": contract.term_months}


def tenancy_json(tenancy: Tenancy) -> dict[str, Any]:
    return {
        "signed_on": tenancy.signed_on.isoformat(), "start_date": tenancy.starts_on.isoformat(),
        "contract": contract_json(tenancy.contract),
        "omklap_due_on": tenancy.omklap_due_on.isoformat() if tenancy.omklap_due_on else None,
        "ends_on": tenancy.ends_on.isoformat() if tenancy.ends_on else None,
    }


def proposal_values(p: MatchProposal) -> dict[str, Any]:
    """The columns a transition may change."""
    return {
        "status": p.status.value, "decided_at": p.decided_at, "ended_at": p.ended_at,
        "decline_reason": p.decline_reason.value if p.decline_reason else None,
        "decline_note": p.decline_note,
        "declined_by": p.declined_by.value if p.declined_by else None,
        "cancel_reason": p.cancel_reason.value if p.cancel_reason else None,
        "client_response": p.client_response.answer.value if p.client_response else None,
        "client_responded_at": p.client_response.recorded_at if p.client_response else None,
        "tenancy": tenancy_json(p.tenancy) if p.tenancy else None,
    }


# --- loading, with locks -------------------------------------------------------------------


_ENDED_WITHOUT_TENANCY = [ProposalStatus.DECLINED.value, ProposalStatus.EXPIRED.value]


# A home asked about (or found to wait): its status, round and the members named.
_HOME_ASKED = sa.update(homes).where(homes.c.home_id == sa.bindparam("home")).values(
    status=sa.bindparam("status"), allocation_round=sa.bindparam("round"),
    requested_members=sa.bindparam("members", type_=homes.c.requested_members.type),
    requested_at=sa.bindparam("at", type_=homes.c.requested_at.type))
_ASKS_AT_COMMIT = "matching.asks_at_commit"  # transaction_state: `ask_homes_at_commit`


def ask_homes_at_commit(session: AsyncSession) -> None:
    """Let the transaction write the homes it asks the contingent about as it commits, all
    in one statement (`record_asked`): for a transaction of intakes only (the consumer's
    `prepare`), each of which adds a candidate and asks about the homes it unblocks — one
    round trip per intake fewer. Safe there because such a transaction reads homes only in
    `add_candidate`, which passes over the homes waiting to be written (they are being
    asked about, so a later intake's search would not find them either); any other read of
    homes in the transaction has them written first (`_asked_first`)."""
    transaction_state(session, _ASKS_AT_COMMIT)["on"] = True


async def record_asked(session: AsyncSession, home_id: uuid.UUID, *, status: str, round: int,
                       members: list[str], at: datetime) -> None:
    """The home was asked about (status "allocating", a new round, the members named) or
    found to wait (status "waiting"): at the commit when the transaction allows it
    (`ask_homes_at_commit`) and the home is asked about, else now."""
    params = {"home": home_id, "status": status, "round": round, "members": members, "at": at}
    if status == "allocating" and transaction_state(session, _ASKS_AT_COMMIT):
        at_commit(session, _HOME_ASKED, params, key=home_id)
        return
    await _asked_first(session)
    await session.execute(_HOME_ASKED, params)


async def _asked_first(session: AsyncSession) -> None:
    """Write the homes asked about that wait for the commit, before homes are read or
    written otherwise."""
    await write_pending_first(session, _HOME_ASKED)


async def lock_home(session: AsyncSession, home_id: uuid.UUID, *,
                    skip_locked: bool = False) -> Row | None:
    """The home's row, locked, with `excluded`: the clients whose proposal for it ended
    declined or expired (see `excluded_of`) — in the same round trip, since nearly every
    caller that locks a home goes on to ask who may have it. A row `lock_homes` read for
    this transaction is handed out instead, once."""
    locked = transaction_state(session, _HOMES_LOCKED).pop(home_id, None)
    if locked is not None:
        return locked
    await _asked_first(session)
    query = _LOCK_HOME_SKIPPING if skip_locked else _LOCK_HOME
    return (await session.execute(query, {"home_id": home_id})).one_or_none()


async def lock_homes(session: AsyncSession, home_ids: Iterable[uuid.UUID]) -> None:
    """Lock the homes a transaction of allocation answers is about, in one round trip
    instead of one each (the consumer's `prepare`), in the order of their ids; each
    one's first `lock_home` in the transaction takes its row from here.

    Handed out once, so a later `lock_home` of the same home reads what the transaction
    wrote. That is enough because the rule above holds: a use case writes a home only
    after locking it, and an answer's use case touches no other home than its own — so no
    home is written before its first `lock_home`. Nobody else can change a locked row.
    Locking the homes before any candidate keeps the order home → candidate."""
    keys = sorted(set(home_ids))
    if len(keys) < 2:  # one home: its own lock is the same single round trip
        return
    await _asked_first(session)
    kept = transaction_state(session, _HOMES_LOCKED)
    for row in await session.execute(_LOCK_HOMES, {"home_ids": keys}):
        kept[row.home_id] = row


_excluded = sa.select(sa.func.array_agg(matches.c.case_id)).where(
    matches.c.home_id == homes.c.home_id,
    one_of(matches.c.status, _ENDED_WITHOUT_TENANCY),
).scalar_subquery().label("excluded")
_home_and_excluded = sa.select(homes, _excluded).where(homes.c.home_id == sa.bindparam("home_id"))
_LOCK_HOME = _home_and_excluded.with_for_update(of=homes)
_LOCK_HOME_SKIPPING = _home_and_excluded.with_for_update(of=homes, skip_locked=True)
_LOCK_HOMES = (sa.select(homes, _excluded)
               .where(homes.c.home_id == sa.any_(
                   sa.bindparam("home_ids", type_=ARRAY(homes.c.home_id.type))))
               .order_by(homes.c.home_id).with_for_update(of=homes))
_HOMES_LOCKED = "matching.homes_locked"  # transaction_state: home id → its row, as locked


_ASKING_HOMES = sa.select(homes, _excluded).where(
    one_of(homes.c.status, ["waiting", "allocating"])).order_by(homes.c.offered_at)


async def asking_homes(session: AsyncSession) -> list[Row]:
    """The homes waiting for somebody or asking the contingent, oldest offer first, with
    `excluded` (as `lock_home` gives it) — read, not locked."""
    await _asked_first(session)
    return list((await session.execute(_ASKING_HOMES)).all())


def excluded_of(row: Row) -> frozenset[str]:
    """Clients not to propose for this home again (a row from `lock_home`)."""
    return frozenset(str(case_id) for case_id in row.excluded or ())


_CANDIDATE = sa.select(candidates).where(candidates.c.case_id == sa.bindparam("case_id"))
_LOCK_CANDIDATE = _CANDIDATE.with_for_update()


async def lock_candidate(session: AsyncSession, case_id: uuid.UUID) -> Row | None:
    """The candidate's row, locked to the transaction's end; what `waiting_of_members` saw of
    it no longer speaks for it (`seen_as_read`)."""
    transaction_state(session, _SEEN).pop(case_id, None)
    return (await session.execute(_LOCK_CANDIDATE, {"case_id": case_id})).one_or_none()


async def get_candidate(session: AsyncSession, case_id: uuid.UUID) -> Row | None:
    return (await session.execute(_CANDIDATE, {"case_id": case_id})).one_or_none()


# A match's columns but its explanation: tens of kilobytes of JSON per proposal once a pool
# is large, decoded on every load, while only GET /homes/{id}/explanation shows it.
MATCH_FIELDS = tuple(c for c in matches.c if c.name != "explanation")


_MATCH = sa.select(*MATCH_FIELDS).where(matches.c.match_id == sa.bindparam("match_id"))
_LOCK_MATCH = _MATCH.with_for_update()


async def get_match(session: AsyncSession, match_id: uuid.UUID, *,
                    lock: bool = False) -> Row | None:
    query = _LOCK_MATCH if lock else _MATCH
    return (await session.execute(query, {"match_id": match_id})).one_or_none()


def _open_match(by: sa.ColumnElement[Any]) -> tuple[sa.Select[Any], sa.Select[Any]]:
    query = sa.select(*MATCH_FIELDS).where(one_of(matches.c.status, OPEN), by)
    return query, query.with_for_update()


_OPEN_MATCH_OF_HOME = _open_match(matches.c.home_id == sa.bindparam("home_id"))
_OPEN_MATCH_OF_CASE = _open_match(matches.c.case_id == sa.bindparam("case_id"))


async def open_match_of(session: AsyncSession, *, home_id: uuid.UUID | None = None,
                        case_id: uuid.UUID | None = None, lock: bool = False) -> Row | None:
    """The open proposal of a home, or of a client (exactly one of the two)."""
    if (home_id is None) == (case_id is None):
        raise ValueError("open_match_of needs a home_id or a case_id")
    queries, params = ((_OPEN_MATCH_OF_HOME, {"home_id": home_id}) if home_id is not None
                       else (_OPEN_MATCH_OF_CASE, {"case_id": case_id}))
    return (await session.execute(queries[lock], params)).one_or_none()


# The waiting candidates of some members, with what a proposal checks is unchanged when it
# proposes one without locking it first (`seen_as_read`): the profile's digest (jsonb's text
# is canonical) and when the candidate was first proposed.
_WAITING_OF_MEMBERS = sa.select(
    candidates, sa.func.md5(sa.cast(candidates.c.profile, sa.Text)).label("profile_digest"),
).where(candidates.c.status == "waiting", candidates.c.member_id == sa.any_(
    sa.bindparam("members", type_=ARRAY(candidates.c.member_id.type))))
_SEEN = "matching.candidates_seen"  # transaction_state: case id → Seen, as last read


@dataclass(frozen=True, slots=True)
class Seen:
    """A waiting candidate as `waiting_of_members` read it: what the row must still hold for
    a proposal made on that reading to be the one a locked reading would make."""

    profile_digest: str
    first_proposed_at: datetime | None


async def waiting_of_members(session: AsyncSession, members: list[str]) -> list[Candidate]:
    """The waiting candidates of these members; what was read of each is kept for the
    transaction (`seen_as_read`)."""
    seen = transaction_state(session, _SEEN)
    found = []
    for row in await session.execute(_WAITING_OF_MEMBERS, {"members": members}):
        seen[row.case_id] = Seen(row.profile_digest, row.first_proposed_at)
        found.append(candidate_from_row(row))
    return found


def seen_as_read(session: AsyncSession, case_id: uuid.UUID) -> Seen | None:
    """The candidate as this transaction last read it waiting, unless it has locked it since
    (then its locked row speaks for it)."""
    found: Seen | None = transaction_state(session, _SEEN).get(case_id)
    return found


# --- searches narrowed in the database (domain/eligibility.HardLimits) -----------------------
# Only necessary conditions are checked here, on the figures the rows already hold; the
# domain's rules still decide. So a search loads the few rows that could fit instead of the
# whole pool (a waiting pool of hundreds, each a JSON profile to parse and evaluate).

_bedrooms_needed = candidates.c.profile["required_bedrooms"].astext.cast(sa.Integer)
_max_rent = candidates.c.profile["max_rent"].astext.cast(sa.Numeric)
_ready_from = candidates.c.profile["ready_from"].astext.cast(sa.Date)
_bedrooms = homes.c.offer["bedrooms"].astext.cast(sa.Integer)
_rent = homes.c.offer["rent"].astext.cast(sa.Numeric)
_available_from = homes.c.offer["available_from"].astext.cast(sa.Date)


def _takes_part(member: Any, year: Any) -> sa.ColumnElement[bool]:
    """The member has a part in the contingent year, or matching has not heard of the year
    (then it limits nothing): who a home of that year can be owed to."""
    of_year = contingent_members.c.year == year
    # the rest comes from the enclosing query, also from two levels out (`_pool_of_found`)
    return sa.or_(sa.exists().where(of_year, contingent_members.c.member_id == member)
                  .correlate_except(contingent_members),
                  ~sa.exists().where(of_year).correlate_except(contingent_members))


async def waiting_rows_within(session: AsyncSession, limits: HardLimits,
                              year: int) -> list[Row]:
    """Waiting candidates inside a home's hard limits, of the members of the home's contingent
    year (of everyone, for a year matching has not heard of), ordered by member (unparsed
    rows, so a caller that needs one per member can skip the rest cheaply)."""
    return list((await session.execute(_WAITING_WITHIN, {
        "bedrooms": limits.bedrooms, "rent": limits.rent,
        "latest_ready_from": limits.latest_ready_from, "year": year})).all())


def _waiting_within(bedrooms: Any, rent: Any, latest_ready_from: Any,
                    year: Any) -> list[sa.ColumnElement[bool]]:
    """Waiting candidates inside a home's hard limits (`eligibility.hard_limits`), of the
    members of its contingent year: given as parameters (`_WAITING_WITHIN`) or as the
    columns of a home found in the same statement (`_pool_of_found`)."""
    return [candidates.c.status == "waiting", _bedrooms_needed <= bedrooms,
            _max_rent >= rent, _ready_from <= latest_ready_from,
            _takes_part(candidates.c.member_id, year)]


_WAITING_WITHIN = sa.select(candidates).where(*_waiting_within(
    sa.bindparam("bedrooms", type_=sa.Integer), sa.bindparam("rent", type_=sa.Numeric),
    sa.bindparam("latest_ready_from", type_=sa.Date), sa.bindparam("year", type_=sa.Integer),
)).order_by(candidates.c.member_id)


async def add_year_members(session: AsyncSession, year: int, members: Iterable[str], *,
                           replace: bool) -> None:
    """Record who takes part in a contingent year: all of them (`replace`, a ContingentSet),
    or those a redistribution adds."""
    if replace:
        await session.execute(sa.delete(contingent_members)
                              .where(contingent_members.c.year == year))
    rows = [{"year": year, "member_id": m} for m in sorted(set(members))]
    if rows:
        await session.execute(pg_insert(contingent_members).values(rows)
                              .on_conflict_do_nothing())


async def waiting_homes_admitting(session: AsyncSession, candidate: Candidate,
                                  grace_days: int) -> list[Row]:
    """Homes waiting for somebody whose hard limits admit the candidate and whose question to
    the contingent the candidate could change, oldest offer first.

    A new candidate can only add its own member to the members a home asks about. So a home
    whose last request named that member already, or of a contingent year the member has no
    part in (a year matching has heard of), would ask the same question: it is not loaded.
    Without this, every intake looked at every waiting home of every year — and for each, at
    the waiting pool of its year — while the answer stayed the same."""
    await _asked_first(session)
    return list((await session.execute(
        _WAITING_HOMES_ADMITTING, _admitting(candidate, grace_days))).all())


class PoolRow(NamedTuple):
    """A waiting candidate as `add_candidate` returns it with a home, read like a row of the
    candidates (`candidate_from_row`)."""

    case_id: str
    client_ref: str
    member_id: str
    profile: dict[str, Any]
    submitted_at: datetime
    status: str = "waiting"
    withdrawn_at: datetime | None = None


class HomeFound(NamedTuple):
    """A home `add_candidate` found and locked (its row as `lock_home` gives it), with the
    waiting pool within its hard limits (as `waiting_rows_within` reads it), the new
    candidate among them."""

    row: Row
    pool: list[PoolRow]


async def add_candidate(session: AsyncSession, candidate: Candidate, profile: dict[str, Any],
                        grace_days: int) -> list[HomeFound] | None:
    """Add a new waiting candidate and return the homes it may unblock (as
    `waiting_homes_admitting` finds them), locked as `lock_home(…, skip_locked=True)` would
    lock them, each with its waiting pool — in one round trip instead of two and two per
    home: every intake does all of it. None, adding nothing, for a candidate who is there
    already (a submission read again). The statement sees the tables as they were before its
    insert, so the new candidate is added to each home's pool here. A home the search admits
    but the domain does not (`is_eligible`) stays locked until the transaction ends; nothing
    else changes it meanwhile."""
    rows = (await session.execute(_ADD_CANDIDATE, {
        "case_id": uuid.UUID(candidate.case_id), "client_ref": candidate.client_ref,
        "member_id": candidate.member_id, "profile": profile, "status": "waiting",
        "submitted_at": candidate.submitted_at, "grace_days": grace_days,
        "asked": pending_keys(session, _HOME_ASKED), **_admitting(candidate, grace_days),
    })).all()
    if not rows[0].added:
        return None
    new = PoolRow(candidate.case_id, candidate.client_ref, candidate.member_id, profile,
                  candidate.submitted_at)
    return [HomeFound(row, [*map(_pool_row, row.pool), new])
            for row in rows if row.home_id is not None]


def _pool_row(found: dict[str, Any]) -> PoolRow:
    return PoolRow(found["case_id"], found["client_ref"], found["member_id"], found["profile"],
                   datetime.fromisoformat(found["submitted_at"]))


def _admitting(candidate: Candidate, grace_days: int) -> dict[str, Any]:
    member = candidate.member_id
    return {"bedrooms": candidate.required_bedrooms, "max_rent": candidate.max_rent,
            "earliest": candidate.ready_from - timedelta(days=grace_days),
            "member": member, "members": [member]}


_member = sa.bindparam("member", type_=candidates.c.member_id.type)
_WAITING_HOMES_ADMITTING = sa.select(homes).where(
    homes.c.status == "waiting",
    _bedrooms >= sa.bindparam("bedrooms", type_=sa.Integer),
    _rent <= sa.bindparam("max_rent", type_=sa.Numeric),
    _available_from >= sa.bindparam("earliest", type_=sa.Date),
    ~sa.func.coalesce(homes.c.requested_members.contains(
        sa.bindparam("members", type_=homes.c.requested_members.type)), False),
    _takes_part(_member, homes.c.contingent_year),
).order_by(homes.c.offered_at)

# `add_candidate`: the insert, and the search only when it inserted — `added` (0 or 1) with
# the homes found, or with nothing (one row of NULLs) when there are none
_added = pg_insert(candidates).values(
    {c: sa.bindparam(c, type_=candidates.c[c].type)
     for c in ("case_id", "client_ref", "member_id", "profile", "status", "submitted_at")},
).on_conflict_do_nothing().returning(candidates.c.case_id).cte("added")
_added_count = sa.select(sa.func.count().label("added")).select_from(_added).subquery("a")
# Locked as found, with `excluded` (as `lock_home` gives them): those another transaction
# holds are passed over, as `offer_waiting_homes` passes them over (SKIP LOCKED: it never
# waits on a home while holding the new candidate).
# Not those this transaction asks about at its commit (`ask_homes_at_commit`): they are no
# longer waiting.
_admitting_homes = (_WAITING_HOMES_ADMITTING.add_columns(_excluded)
                    .where(homes.c.home_id != sa.all_(sa.bindparam(
                        "asked", type_=ARRAY(homes.c.home_id.type))))
                    .with_for_update(of=homes, skip_locked=True).lateral("found"))
# and each found home's waiting pool: `_waiting_within` the found home's own figures, the
# rows as JSON, one list per home
_found_offer = _admitting_homes.c.offer
_pool_of_found = sa.select(sa.func.coalesce(
    sa.func.jsonb_agg(sa.func.jsonb_build_object(
        "case_id", candidates.c.case_id, "client_ref", candidates.c.client_ref,
        "member_id", candidates.c.member_id, "profile", candidates.c.profile,
        "submitted_at", candidates.c.submitted_at)),
    sa.text("'[]'::jsonb")).label("pool"),
).where(*_waiting_within(
    _found_offer["bedrooms"].astext.cast(sa.Integer),
    _found_offer["rent"].astext.cast(sa.Numeric),
    _found_offer["available_from"].astext.cast(sa.Date)
    + sa.bindparam("grace_days", type_=sa.Integer),
    _admitting_homes.c.contingent_year,
)).lateral("pool")
_ADD_CANDIDATE = (
    sa.select(_added_count.c.added, *_admitting_homes.c, _pool_of_found.c.pool)
    .select_from(_added_count.outerjoin(_admitting_homes, _added_count.c.added > 0)
                 .outerjoin(_pool_of_found, sa.true()))
    .order_by(_admitting_homes.c.offered_at))


async def pool_counts(session: AsyncSession, year: int) -> tuple[dict[str, int], int]:
    """Waiting candidates per member, and how many are held by an open proposal (one query),
    of the members taking part in the contingent year (everyone's, for a year matching has
    not heard of): the only ones a home of that year can be owed to."""
    rows = await session.execute(_POOL_COUNTS, {"year": year})
    waiting: dict[str, int] = {}
    proposed = 0
    for status, member, n in rows:
        if status == "waiting":
            waiting[member] = int(n)
        else:
            proposed += int(n)
    return waiting, proposed


_POOL_COUNTS = (
    sa.select(candidates.c.status, candidates.c.member_id, sa.func.count())
    .where(one_of(candidates.c.status, ["waiting", "proposed"]),
           _takes_part(candidates.c.member_id, sa.bindparam("year", type_=sa.Integer)))
    .group_by(candidates.c.status, candidates.c.member_id))
