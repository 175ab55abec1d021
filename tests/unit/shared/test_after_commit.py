"""`after_commit`: what a unit of work observes (metrics) happens once its transaction
commits, never when it rolls back — on one listener shared by every session."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db import after_commit


def session() -> Any:  # the same `info` and transaction events as an AsyncSession's
    return Session(sa.create_engine("sqlite://"))


def test_actions_run_once_when_the_transaction_commits() -> None:
    ran: list[str] = []
    with session() as s:
        with s.begin():
            after_commit(s, lambda: ran.append("first"))
            after_commit(s, lambda: ran.append("second"))
            assert ran == []  # not before the commit
        assert ran == ["first", "second"]
        with s.begin():
            s.execute(sa.text("SELECT 1"))
        assert ran == ["first", "second"]  # a later commit does not repeat them


def test_actions_of_a_rolled_back_transaction_never_run() -> None:
    ran: list[str] = []
    with session() as s:
        s.begin()
        after_commit(s, lambda: ran.append("undone"))
        s.rollback()
        with s.begin():
            after_commit(s, lambda: ran.append("kept"))
        assert ran == ["kept"]


def test_each_session_keeps_its_own_actions() -> None:
    ran: list[str] = []
    with session() as a, session() as b:
        a.begin()
        b.begin()
        after_commit(a, lambda: ran.append("a"))
        after_commit(b, lambda: ran.append("b"))
        b.commit()
        assert ran == ["b"]
        a.rollback()
        assert ran == ["b"]
