"""What an engine sends to PostgreSQL while a block runs: for tests that count round trips
or look at which rows a use case reads."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True)
class Sent:
    statement: str
    parameters: Any


@contextlib.contextmanager
def statements_sent(engine: AsyncEngine) -> Iterator[list[Sent]]:
    """Every statement `engine` sends inside the block, in order, with its parameters (not
    the pre-ping, BEGIN or COMMIT, which do not pass through SQLAlchemy's cursor)."""
    sent: list[Sent] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append(Sent(statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", note)
