"""PostgreSQL storage of the yearly contingent aggregate and of the member roster.

`get` restores a `Contingent` from its rows (the constructor rebuilds the state per home from
the ledger and refuses a ledger that does not follow the rules) — or, while the year's
revision is unchanged, copies the one this process read or wrote last (`YearCache`); `save`
writes only what changed since: new ledger entries, changed share lines, new redistribution
records, the close, and a new revision.
With ``lock=True`` the year's `contingents` row is held FOR UPDATE until the transaction ends:
allocations, tenancies, releases, redistributions, carry-overs and the close of one year run
one after another, never interleaved. While it holds the year, a transaction does not read it
again, and the new ledger entries, the allocation decisions and the new revision are written
as it commits, each in one statement for all its saves (`shared.db.at_commit`): the consumer
handles a poll's allocations in one transaction.

Allocation decisions are not restored into the aggregate's ledger entries: they live, with
the rest of the explanation, in `allocations` (a redelivered event never reaches the
aggregate twice; the inbox sees to that).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.contingent.adapters.db.tables import (
    allocations,
    closed_balances,
    contingents,
    ledger,
    members,
    redistributions,
    shares,
)
from services.contingent.application.errors import Conflict
from services.contingent.application.ports import LedgerTrace, Member, Pledge
from services.contingent.domain.apportionment import Tie
from services.contingent.domain.contingent import (
    ClosedYear,
    Contingent,
    LedgerEntry,
    MemberBalance,
    Redistribution,
)
from shared.db import at_commit, transaction_state

SavedHook = Callable[[Contingent, Sequence[LedgerEntry]], None]
Line = tuple[int, int, int, bool]  # declared need, share, carried over, left


@dataclass(frozen=True)
class _Stored:
    """What the database holds of a year, as last read or written in this transaction."""

    ledger_length: int
    redistributions: int
    lines: dict[str, Line]
    header: tuple[object, ...]
    closed: bool


def _lines(c: Contingent) -> dict[str, Line]:
    return {m: (c.needs[m], c.shares[m], c.carried_over.get(m, 0), m in c.inactive)
            for m in c.needs}


def _header(c: Contingent) -> tuple[object, ...]:
    return (ties_json(c.ties), c.unallocated, c.carried_over_from)


def ties_json(ties: Sequence[Tie]) -> list[dict[str, Any]]:
    return [{"members": list(t.members), "homes": t.homes, "winners": list(t.winners),
             "value": str(t.value)} for t in ties]


def _ties(data: Sequence[dict[str, Any]]) -> tuple[Tie, ...]:
    return tuple(Tie(tuple(t["members"]), t["homes"], tuple(t["winners"]),
                     Fraction(t.get("value", "0"))) for t in data)


def _changed(c: Contingent, stored: _Stored) -> bool:
    return (len(c.ledger) != stored.ledger_length
            or len(c.redistributions) != stored.redistributions
            or _lines(c) != stored.lines or _header(c) != stored.header
            or (c.closed is not None) != stored.closed)


class YearCache:
    """The last state of each year this process read or wrote, under the year's revision.

    Every allocation and tenancy reads its year, and a year's ledger grows with every home:
    restoring it from its rows each time cost the contingent a fifth of its CPU in the
    simulated year. While `contingents.revision` is what it was, the year is handed out as
    a copy instead. Every write of a year sets a new random revision, so a write by another
    transaction or process — or one of ours that was rolled back — never matches.
    """

    def __init__(self) -> None:
        self._years: dict[int, tuple[UUID, Contingent]] = {}

    def get(self, year: int, revision: UUID | None) -> Contingent | None:
        kept = self.kept(year, revision)
        return None if kept is None else kept.copy()

    def kept(self, year: int, revision: UUID | None) -> Contingent | None:
        """The year kept under `revision` itself (not a copy: never to be changed)."""
        held = self._years.get(year)
        if revision is None or held is None or held[0] != revision:
            return None
        return held[1]

    def put(self, year: int, revision: UUID | None, contingent: Contingent) -> Contingent:
        """Keep the year under `revision`; returns the twin kept (never to be changed)."""
        twin = _as_restored(contingent)
        if revision is not None:  # a year written before revisions: read from its rows
            self._years[year] = (revision, twin)
        return twin


def _as_restored(c: Contingent) -> Contingent:
    """A copy as `get` would restore it from the rows: an allocation's decision lives in
    `allocations`, not on its ledger entry, so a copy must not know more than a restore."""
    twin = c.copy()
    twin.ledger = tuple(e if e.decision is None else dataclasses.replace(e, decision=None)
                        for e in c.ledger)
    return twin


YEARS_READ = YearCache()  # one per process: the revision decides, not the process


# The statements every allocation runs, built once (shared/db.py, "Statements built once").
_HEAD = sa.select(contingents).where(contingents.c.year == sa.bindparam("year"))
_LOCK_HEAD = _HEAD.with_for_update()
_SAVE_HEAD = sa.update(contingents).where(contingents.c.year == sa.bindparam("target_year"))
_SET_REVISION = _SAVE_HEAD.values(revision=sa.bindparam("revision"))
_INSERT_LEDGER = sa.insert(ledger)
_decision = insert(allocations)
_RECORD_DECISION = _decision.on_conflict_do_update(  # a repeated round: the newest answer
    index_elements=["home_id", "round"],
    set_={c: _decision.excluded[c]
          for c in ("year", "member_id", "explanation", "decided_at", "event_id")})


_HELD = "contingent.years_held"  # transaction_state: year → the year as the transaction left it


class SqlContingentRepository:
    def __init__(self, session: AsyncSession, on_saved: SavedHook | None = None,
                 years: YearCache = YEARS_READ) -> None:
        self._session = session
        self._on_saved = on_saved or (lambda c, entries: None)
        self._stored: dict[int, _Stored] = {}
        self._years = years

    # --- Loading --------------------------------------------------------------------------

    async def get(self, year: int, *, lock: bool = False) -> Contingent | None:
        """The year; with `lock`, its row is held until the transaction ends.

        A year this transaction locked already is not read again: nobody else can have
        changed it, and what this transaction saved of it waits for the commit
        (`shared.db.at_commit`), so only the copy kept here knows it. A consumer handling
        several of a year's allocations in one transaction reads the year once."""
        held: dict[int, Contingent] = transaction_state(self._session, _HELD)
        if year in held:
            contingent = held[year].copy()
            self._remember(contingent)
            return contingent
        head = (await self._session.execute(
            _LOCK_HEAD if lock else _HEAD, {"year": year})).one_or_none()
        if head is None:
            return None
        twin = self._years.kept(year, head.revision)
        if twin is None:
            contingent = await self._restore(head)
            twin = self._years.put(year, head.revision, contingent)
        else:
            contingent = twin.copy()
        if lock:
            held[year] = twin
        self._remember(contingent)
        return contingent

    async def _restore(self, head: sa.Row[Any]) -> Contingent:
        """The year from its rows; the constructor replays and checks the whole ledger."""
        year = head.year
        lines = (await self._session.execute(
            sa.select(shares).where(shares.c.year == year).order_by(shares.c.member_id)
        )).all()
        entries = (await self._session.execute(
            sa.select(ledger.c.sequence, ledger.c.kind, ledger.c.home_id, ledger.c.member_id,
                      ledger.c.event_id, ledger.c.occurred_at, ledger.c.note)
            .where(ledger.c.year == year).order_by(ledger.c.sequence)
        )).all()
        records = (await self._session.execute(
            sa.select(redistributions).where(redistributions.c.year == year)
            .order_by(redistributions.c.redistribution_id)
        )).all()
        return Contingent(
            year=year, total_homes=head.total_homes, method=head.method,
            min_per_member=head.min_per_member, cap_at_need=head.cap_at_need,
            needs={r.member_id: r.need for r in lines},
            shares={r.member_id: r.share for r in lines},
            ties=_ties(head.ties), unallocated=head.unallocated,
            carried_over={r.member_id: r.carried_over for r in lines if r.carried_over},
            carried_over_from=head.carried_over_from,
            inactive=frozenset(r.member_id for r in lines if r.left_at is not None),
            ledger=tuple(LedgerEntry(r.sequence, r.kind, str(r.home_id), r.member_id,
                                     str(r.event_id), r.occurred_at, r.note) for r in entries),
            redistributions=tuple(_redistribution(r) for r in records),
            closed=await self._closed(head) if head.status == "closed" else None,
        )

    async def closed_year(self, year: int) -> ClosedYear | None:
        head = (await self._session.execute(
            sa.select(contingents).where(contingents.c.year == year,
                                         contingents.c.status == "closed"))).one_or_none()
        return None if head is None else await self._closed(head)

    async def _closed(self, head: sa.Row[Any]) -> ClosedYear:
        rows = (await self._session.execute(
            sa.select(closed_balances).where(closed_balances.c.year == head.year)
            .order_by(closed_balances.c.member_id))).all()
        return ClosedYear(
            year=head.year, closed_at=head.closed_at, method=head.method,
            total_homes=head.total_homes,
            balances=tuple(MemberBalance(r.member_id, r.need, r.share, r.used, r.balance,
                                         r.unused, r.overrun) for r in rows),
            in_flight_homes=tuple(head.closed_in_flight),
        )

    async def pledges(self, year: int) -> Sequence[Pledge]:
        data = await self._session.scalar(
            sa.select(contingents.c.pledges).where(contingents.c.year == year))
        return [Pledge(p["corporation_id"], p["homes"]) for p in data or []]

    async def open_years_with(self, member_id: str) -> Sequence[int]:
        rows = await self._session.scalars(
            sa.select(shares.c.year).join(contingents, contingents.c.year == shares.c.year)
            .where(shares.c.member_id == member_id, shares.c.left_at.is_(None),
                   contingents.c.status == "open")
            .order_by(shares.c.year))
        return list(rows)

    async def open_years(self) -> Sequence[int]:
        rows = await self._session.scalars(
            sa.select(contingents.c.year).where(contingents.c.status == "open")
            .order_by(contingents.c.year))
        return list(rows)

    # --- Writing --------------------------------------------------------------------------

    async def add(self, contingent: Contingent, *, at: datetime,
                  pledges: Sequence[Pledge]) -> None:
        settings = self._settings(contingent, at, pledges)
        created = await self._session.scalar(
            insert(contingents).values(year=contingent.year, **settings)
            .on_conflict_do_nothing().returning(contingents.c.year))
        if created is None:
            raise Conflict(f"The {contingent.year} contingent was set at this very moment by "
                           "another request; look at it, then send yours again if needed.")
        await self._insert_lines(contingent, contingent.needs, at)
        self._remember(contingent)
        self._hold(contingent, settings["revision"])
        self._on_saved(contingent, ())

    async def replace(self, contingent: Contingent, *, at: datetime,
                      pledges: Sequence[Pledge]) -> None:
        settings = self._settings(contingent, at, pledges)
        del settings["revision"]  # at commit: it replaces one a save in this transaction gave
        await self._session.execute(
            sa.update(contingents).where(contingents.c.year == contingent.year)
            .values(**settings))
        await self._session.execute(sa.delete(shares).where(shares.c.year == contingent.year))
        await self._insert_lines(contingent, contingent.needs, at)
        self._remember(contingent)
        self._hold(contingent, self._revise(contingent.year))
        self._on_saved(contingent, ())

    async def save(self, contingent: Contingent, *, at: datetime,
                   trace: LedgerTrace = LedgerTrace()) -> None:
        stored = self._stored[contingent.year]  # a year is saved only after it was read
        if not _changed(contingent, stored):  # the revision stays: every copy is still true
            self._on_saved(contingent, ())
            return
        if contingent.year not in transaction_state(self._session, _HELD):
            # Its writes wait for the commit, so only the row lock keeps another transaction
            # from writing the year in between: a bug in the use case, not a user's error.
            raise RuntimeError(f"the {contingent.year} contingent is saved without having "
                               "been read with lock=True in this transaction")
        # The new ledger entries and the revision are written as the transaction commits,
        # with those of every other save in it (a consumer's allocations: one statement each
        # for all of them); the year stays held here until then (`get`).
        new_entries = contingent.ledger[stored.ledger_length:]
        for e in new_entries:
            at_commit(self._session, _INSERT_LEDGER, _entry_row(contingent.year, e, trace))
        await self._save_lines(contingent, stored, at)
        if _header(contingent) != stored.header:
            # the SET clause: the columns named by the parameters
            await self._session.execute(_SAVE_HEAD, {
                "target_year": contingent.year, "ties": ties_json(contingent.ties),
                "unallocated": contingent.unallocated,
                "carried_over_from": contingent.carried_over_from})
        revision = self._revise(contingent.year)
        new_records = contingent.redistributions[stored.redistributions:]
        if new_records:
            await self._session.execute(sa.insert(redistributions), [
                _redistribution_row(contingent.year, len(contingent.ledger), r)
                for r in new_records])
        if contingent.closed is not None and not stored.closed:
            await self._save_close(contingent.closed)
        self._remember(contingent)
        self._hold(contingent, revision)
        self._on_saved(contingent, new_entries)

    def _hold(self, contingent: Contingent, revision: UUID) -> None:
        """The year as this transaction leaves it, under the revision it will commit."""
        transaction_state(self._session, _HELD)[contingent.year] = self._years.put(
            contingent.year, revision, contingent)

    def _revise(self, year: int) -> UUID:
        """A new revision for the year, written as the transaction commits (the last one
        given in the transaction counts)."""
        revision = uuid4()
        at_commit(self._session, _SET_REVISION, {"target_year": year, "revision": revision},
                  key=year)
        return revision

    async def record_decision(self, *, year: int, home_id: UUID, round: int,
                              member_id: str | None, explanation: dict[str, object],
                              event_id: UUID, at: datetime) -> None:
        # at commit, with the transaction's other decisions (a round answered twice in it:
        # the newest answer, as the upsert would leave it)
        at_commit(self._session, _RECORD_DECISION, {
            "home_id": home_id, "round": round, "year": year, "member_id": member_id,
            "explanation": explanation, "decided_at": at, "event_id": event_id},
            key=(home_id, round))

    # --- Internals ------------------------------------------------------------------------

    def _remember(self, c: Contingent) -> None:
        self._stored[c.year] = _Stored(len(c.ledger), len(c.redistributions), _lines(c),
                                       _header(c), c.closed is not None)

    @staticmethod
    def _settings(c: Contingent, at: datetime, pledges: Sequence[Pledge]) -> dict[str, Any]:
        return dict(
            total_homes=c.total_homes, method=c.method, min_per_member=c.min_per_member,
            cap_at_need=c.cap_at_need, status="open", ties=ties_json(c.ties), set_at=at,
            closed_at=None, unallocated=c.unallocated, carried_over_from=c.carried_over_from,
            pledges=[{"corporation_id": p.corporation_id, "homes": p.homes} for p in pledges],
            revision=uuid4(),
        )

    async def _insert_lines(self, c: Contingent, member_ids: Collection[str],
                            at: datetime) -> None:
        if member_ids:
            await self._session.execute(sa.insert(shares), [
                {"year": c.year, "member_id": m, "need": c.needs[m], "share": c.shares[m],
                 "carried_over": c.carried_over.get(m, 0),
                 "left_at": at if m in c.inactive else None} for m in member_ids])

    async def _save_lines(self, c: Contingent, stored: _Stored, at: datetime) -> None:
        now = _lines(c)
        await self._insert_lines(c, [m for m in now if m not in stored.lines], at)
        for m, line in now.items():
            old = stored.lines.get(m)
            if old is None or old == line:
                continue
            need, share, carried, left = line
            values: dict[str, Any] = dict(need=need, share=share, carried_over=carried)
            if left and not old[3]:
                values["left_at"] = at
            await self._session.execute(
                sa.update(shares).where(shares.c.year == c.year, shares.c.member_id == m)
                .values(**values))

    async def _save_close(self, closed: ClosedYear) -> None:
        await self._session.execute(
            sa.update(contingents).where(contingents.c.year == closed.year).values(
                status="closed", closed_at=closed.closed_at,
                closed_in_flight=list(closed.in_flight_homes)))
        if closed.balances:
            await self._session.execute(sa.insert(closed_balances), [
                {"year": closed.year, "member_id": b.member_id, "need": b.need,
                 "share": b.share, "used": b.used, "balance": b.balance, "unused": b.unused,
                 "overrun": b.overrun} for b in closed.balances])


def _entry_row(year: int, e: LedgerEntry, trace: LedgerTrace) -> dict[str, Any]:
    return {
        "year": year, "sequence": e.sequence, "home_id": UUID(e.home_id),
        "member_id": e.member_id, "kind": e.kind, "note": e.note,
        "event_id": UUID(e.event_id), "event_type": trace.event_type, "round": trace.round,
        "corporation_id": trace.corporation_id if e.kind == "consumed" else None,
        "occurred_at": e.occurred_at,
    }


def _redistribution_row(year: int, after_entry: int, r: Redistribution) -> dict[str, Any]:
    return {
        "year": year, "occurred_at": r.occurred_at, "after_entry": after_entry,
        "pool": r.pool, "unallocated": r.unallocated, "unmet_need": r.unmet_need,
        "shares_before": r.shares_before, "shares_after": r.shares_after,
        "ties": ties_json(r.ties), "note": r.note,
    }


def _redistribution(row: sa.Row[Any]) -> Redistribution:
    return Redistribution(
        occurred_at=row.occurred_at, pool=row.pool, unmet_need=dict(row.unmet_need),
        shares_before=dict(row.shares_before), shares_after=dict(row.shares_after),
        ties=_ties(row.ties), unallocated=row.unallocated, note=row.note,
    )


class SqlMemberDirectory:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, member_id: str, *, lock: bool = False) -> Member | None:
        query = sa.select(members).where(members.c.member_id == member_id)
        row = (await self._session.execute(
            query.with_for_update() if lock else query)).one_or_none()
        return None if row is None else _member(row)

    async def of(self, member_ids: Collection[str]) -> dict[str, Member]:
        rows = await self._session.execute(
            sa.select(members).where(members.c.member_id.in_(list(member_ids))))
        return {r.member_id: _member(r) for r in rows}

    async def listing(self) -> Sequence[Member]:
        rows = await self._session.execute(sa.select(members).order_by(members.c.member_id))
        return [_member(r) for r in rows]

    async def add(self, member: Member) -> bool:
        created = await self._session.scalar(
            insert(members).values(member_id=member.member_id, name=member.name, active=True,
                                   created_at=member.created_at)
            .on_conflict_do_nothing().returning(members.c.member_id))
        return created is not None

    async def rename(self, member_id: str, name: str) -> None:
        await self._session.execute(
            sa.update(members).where(members.c.member_id == member_id).values(name=name))

    async def deactivate(self, member_id: str, at: datetime) -> None:
        await self._session.execute(
            sa.update(members).where(members.c.member_id == member_id)
            .values(active=False, deactivated_at=at))


def _member(row: sa.Row[Any]) -> Member:
    return Member(row.member_id, row.name, row.active, row.created_at, row.deactivated_at)
