"""One unit of work of matching: a transaction, its outbox, the region's rules, business time.

A use case reads "open a unit, load and lock, ask the domain, store, append events, commit".
Metric observations wait for the commit (`after_commit`), so a rolled-back or retried
transaction is never counted twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.application.ports import Mailbox, Throughput
from services.matching.application.rules import MatchingRules
from shared.db import after_commit, transaction_state
from shared.outbox import Outbox

# The key of the transaction-scoped advisory lock under which homes and candidates enter or
# re-enter the pool (any fixed 64-bit number unique within the database).
POOL_LOCK = 0x6D61_7463_6870_6F6F  # "matchpoo"
_POOL_HELD = "matching.pool_lock_held"  # transaction_state: {"shared": bool} once taken
# shared → the statement taking the lock, built once (shared/db.py, "Statements built once")
_TAKE_POOL_LOCK = {False: sa.select(sa.func.pg_advisory_xact_lock(POOL_LOCK)),
                   True: sa.select(sa.func.pg_advisory_xact_lock_shared(POOL_LOCK))}


class PoolLockUpgrade(RuntimeError):
    """A transaction holding the pool lock shared asked for it exclusively (a bug)."""


@dataclass
class Unit:
    session: AsyncSession
    outbox: Outbox
    rules: MatchingRules
    now: datetime
    mailbox: Mailbox
    throughput: Throughput

    async def hold_pool(self, *, shared: bool = False) -> None:
        """Take turns with every other transaction that brings a home or a candidate into the
        pool (an offer, an intake, a decline, an expiry, a withdrawal), so that a home and a
        candidate appearing at the same moment always see each other: without it, each could
        commit without seeing the other's uncommitted row, and the home would wait for
        nobody. Call it first in the transaction, before any row lock another transaction
        could wait for: the order pool → home → candidate → match then holds everywhere,
        and no deadlock can arise. (A row this transaction inserted is invisible to others
        until commit, so `offer_home` inserts its home first and takes the lock after.)

        `shared`: only homes enter the pool here (an offer, a home waiting again after an
        answer naming nobody, the revisit of one home). Two homes need not see each other —
        a home is matched with candidates, never with another home — so such transactions
        hold the lock together and take turns only with those that bring a candidate in
        (exclusive, the default). A day's offers then no longer queue behind each other,
        each holding a database connection while it waits.

        Taken once per transaction: the shared consumer handles several events in one
        transaction, each in its own unit, and the lock is already ours after the first.
        A transaction holding it shared cannot go on to bring a candidate in: waiting for
        the exclusive lock while holding rows other shared holders may wait for could
        deadlock, so that is refused (the consumer's transaction keys keep the two kinds
        apart, see services/matching/adapters/kafka/handlers.py)."""
        held = transaction_state(self.session, _POOL_HELD)
        if "shared" in held:
            if held["shared"] and not shared:
                raise PoolLockUpgrade(
                    "this transaction holds the pool lock shared (homes only) and cannot "
                    "bring a candidate into the pool")
            return
        await self.session.execute(_TAKE_POOL_LOCK[shared])
        held["shared"] = shared

    @property
    def holds_pool(self) -> bool:
        """Whether this transaction has taken the pool lock (shared or exclusive)."""
        return "shared" in transaction_state(self.session, _POOL_HELD)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction commits; never if it rolls back."""
        after_commit(self.session, action)


@dataclass(frozen=True)
class Services:
    """What a unit is built from; the composition root makes one."""

    outbox: Outbox
    rules: MatchingRules
    mailbox: Mailbox
    throughput: Throughput

    def unit(self, session: AsyncSession, now: datetime) -> Unit:
        return Unit(session, self.outbox, self.rules, now, self.mailbox, self.throughput)
