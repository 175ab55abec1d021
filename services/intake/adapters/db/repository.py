"""PostgreSQL implementations of the intake's ports: the case repository and the access log."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.adapters.db.records import intake_from, row_values
from services.intake.adapters.db.tables import OPEN_CASE, OPEN_STATUSES, audit_log, intakes
from services.intake.application.ports import AccessEntry, AccessQuery, CaseFilter
from services.intake.domain.intake import Intake
from shared.db import at_commit, one_of, transaction_state, write_pending_first
from shared.events.intake import IntakeSubmitted
from shared.outbox import Outbox


def _uuid(case_id: str) -> UUID | None:
    try:
        return UUID(case_id)
    except ValueError:
        return None


# A case's statements, built once (shared/db.py, "Statements built once"): every intake,
# proposal and tenancy reads and writes its case.
_CASE = sa.select(intakes).where(intakes.c.case_id == sa.bindparam("key"))
_LOCK_CASE = _CASE.with_for_update()
# Several cases at once, in the order of their keys (two transactions that lock some of the
# same cases take them in the same order): one array parameter, so it compiles once.
_LOCK_CASES = (sa.select(intakes)
               .where(intakes.c.case_id == sa.any_(
                   sa.bindparam("keys", type_=ARRAY(intakes.c.case_id.type))))
               .order_by(intakes.c.case_id).with_for_update())
_LOCKED = "intake.cases_locked"  # transaction_state: case key → its row as locked
_OPEN_CASE_OF = sa.select(intakes).where(
    intakes.c.client_ref == sa.bindparam("client_ref"), one_of(intakes.c.status, OPEN_STATUSES),
).limit(1)
# One open case per client: the unique index on open cases decides, in the insert itself (an
# insert meeting one being added at this moment waits for its commit or rollback).
# (Every column named: the statement is also a CTE, whose columns SQLAlchemy takes from its
# `values`, not from the parameters given.)
_ADD = (insert(intakes).values({**{c.name: sa.bindparam(c.name, type_=c.type)
                                   for c in intakes.c if c.name != "updated_at"},
                                "updated_at": sa.func.now()})
        .on_conflict_do_nothing(index_elements=[intakes.c.client_ref], index_where=OPEN_CASE)
        .returning(intakes.c.case_id))
_ADDED = _ADD.cte("added")


@functools.cache  # built once per outbox (shared/db.py, "Statements built once")
def _add_published(outbox: Outbox) -> sa.Select[Any]:
    """`_ADD` and the case's event in one statement: the event only if the case is added."""
    published = outbox.along(_ADDED)
    # the outbox's insert is read as well, so its RETURNING (the relay's NOTIFY) is evaluated
    return sa.select(
        sa.select(sa.func.count()).select_from(_ADDED).scalar_subquery().label("added"),
        sa.select(sa.func.count()).select_from(published).scalar_subquery().label("published"))


_SAVE = sa.update(intakes).where(intakes.c.case_id == sa.bindparam("case")).values(
    updated_at=sa.func.now())


async def lock_cases(session: AsyncSession, case_ids: Iterable[str]) -> None:
    """Lock the cases a transaction of several events is about, reading them in one round
    trip instead of one each (the consumer's `prepare`); `get(…, for_update=True)` answers
    from these rows. Nobody else can change a locked row, and `save` drops the row it
    changes, so the next event about that case reads what the first one saved."""
    keys = sorted({key for key in map(_uuid, case_ids) if key is not None})
    if len(keys) < 2:  # one case: its own read is the same single round trip
        return
    kept = transaction_state(session, _LOCKED)
    for row in await session.execute(_LOCK_CASES, {"keys": keys}):
        kept[row.case_id] = row


class SqlIntakeRepository:
    """`saves_at_commit`: a case's save is written as the transaction commits, with every
    other case saved in it in one `executemany` (`shared.db.at_commit`), instead of one
    round trip each — for the consumer, whose transactions change a case per event and read
    nothing else. A read of a case saved so comes after its save all the same (`get` has
    what waits written first); the HTTP routes, which read lists too, save at once.
    `outbox`: where `add` publishes a case's `IntakeSubmitted`, in the statement that adds
    the case."""

    def __init__(self, session: AsyncSession, *, saves_at_commit: bool = False,
                 outbox: Outbox | None = None) -> None:
        self._session = session
        self._saves_at_commit = saves_at_commit
        self._outbox = outbox

    async def get(self, case_id: str, *, for_update: bool = False) -> Intake | None:
        key = _uuid(case_id)
        if key is None:
            return None
        row = transaction_state(self._session, _LOCKED).get(key) if for_update else None
        if row is None:
            await self._saved_first(key)
            query = _LOCK_CASE if for_update else _CASE
            row = (await self._session.execute(query, {"key": key})).one_or_none()
        return None if row is None else intake_from(row)

    async def _saved_first(self, key: UUID) -> None:
        await write_pending_first(self._session, _SAVE, key)

    async def open_case_of(self, client_ref: str) -> Intake | None:
        row = (await self._session.execute(
            _OPEN_CASE_OF, {"client_ref": client_ref})).one_or_none()
        return None if row is None else intake_from(row)

    async def add(self, intake: Intake, client_number: str, *,
                  submitted: IntakeSubmitted | None = None) -> bool:
        values = row_values(intake)
        del values["updated_at"]  # the statement's own: now()
        params = {**values, "client_number": client_number}
        if submitted is None:
            return (await self._session.execute(_ADD, params)).first() is not None
        if self._outbox is None or intake.submitted_at is None:
            raise ValueError("a case published as it is added needs an outbox and a submission")
        params |= self._outbox.parameters(submitted, case_id=values["case_id"],
                                          occurred_at=intake.submitted_at.astimezone(UTC))
        added = (await self._session.execute(_add_published(self._outbox), params)).one()
        return bool(added.added)

    async def client_number(self, case_id: str) -> str | None:
        key = _uuid(case_id)
        if key is None:
            return None
        return (await self._session.execute(
            sa.select(intakes.c.client_number).where(intakes.c.case_id == key)
        )).scalar()

    async def save(self, intake: Intake) -> None:
        values = row_values(intake)
        if intake.personal_data_erased_at is not None:
            values["client_number"] = None
        del values["updated_at"]  # the statement's own: now()
        key = values.pop("case_id")
        transaction_state(self._session, _LOCKED).pop(key, None)  # read anew
        # the SET clause: the columns named by the parameters (all but the case's key)
        params = {"case": key, **values}
        if self._saves_at_commit and "client_number" not in values:  # one shape per batch
            at_commit(self._session, _SAVE, params, key=key)
            return
        await self._saved_first(key)
        await self._session.execute(_SAVE, params)

    async def list(self, which: CaseFilter) -> Sequence[Intake]:
        query = sa.select(intakes).order_by(intakes.c.created_at, intakes.c.case_id)
        if which.member_id is not None:
            query = query.where(intakes.c.member_id == which.member_id)
        if which.status is not None:
            query = query.where(intakes.c.status == str(which.status))
        if which.client_ref is not None:
            query = query.where(intakes.c.client_ref == which.client_ref)
        rows = (await self._session.execute(query.limit(which.limit).offset(which.offset))).all()
        return [intake_from(row) for row in rows]

    async def ended_before(self, cutoff: datetime, limit: int) -> Sequence[str]:
        rows = await self._session.execute(
            sa.select(intakes.c.case_id)
            .where(intakes.c.ended_at < cutoff, intakes.c.erased_at.is_(None))
            .order_by(intakes.c.ended_at).limit(limit)
        )
        return [str(case_id) for case_id in rows.scalars()]

    async def waiting_per_member(self) -> dict[str, int]:
        """Submitted (waiting) intakes per member organisation, for the gauge."""
        rows = await self._session.execute(
            sa.select(intakes.c.member_id, sa.func.count())
            .where(intakes.c.status == "submitted").group_by(intakes.c.member_id)
        )
        return {member: count for member, count in rows}


class SqlAccessLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, entry: AccessEntry) -> None:
        await self._session.execute(sa.insert(audit_log).values(
            read_at=entry.read_at, reader=entry.reader, role=entry.role, org=entry.org,
            case_id=UUID(entry.case_id), member_id=entry.member_id, reason=entry.reason,
        ))

    async def query(self, which: AccessQuery) -> Sequence[AccessEntry]:
        t = audit_log
        query = sa.select(t).order_by(t.c.read_at.desc(), t.c.id.desc()).limit(which.limit)
        if which.case_id is not None:
            key = _uuid(which.case_id)
            if key is None:
                return []
            query = query.where(t.c.case_id == key)
        if which.reader is not None:
            query = query.where(t.c.reader == which.reader)
        if which.member_id is not None:
            query = query.where(t.c.member_id == which.member_id)
        if which.since is not None:
            query = query.where(t.c.read_at >= which.since)
        if which.until is not None:
            query = query.where(t.c.read_at < which.until)
        rows = (await self._session.execute(query)).all()
        return [
            AccessEntry(reader=r.reader, role=r.role, org=r.org, case_id=str(r.case_id),
                        member_id=r.member_id, reason=r.reason, read_at=r.read_at)
            for r in rows
        ]
