"""Every statement built once (shared/db.py, "Statements built once") has a cache key and
renders no list per execution.

A statement without one is compiled anew on every execution — SQLAlchemy reports it as "no
key" — whatever care went into building it once. SQLAlchemy 2.0's PostgreSQL `INSERT … ON
CONFLICT` had none (its ON CONFLICT clauses could not be cached): the inbox's claim of every
event handled alone, matching's candidate, the contingent's allocation answer and aftercare's
record of an intake were compiled each time: 0.55 against 0.23 ms of client CPU per
execution of the inbox's claim (docs/benchmark.md, "Round twelve").
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from types import ModuleType

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.base import Executable

from services.intake.adapters.db import tables as intake_tables
from services.intake.adapters.db.repository import _add_published
from shared.clock import SystemClock
from shared.consumer import _InboxStatements
from shared.db import inbox_table, outbox_table
from shared.outbox import Outbox


def project_modules() -> list[ModuleType]:
    """Every module of `shared` and of the services but their migrations and entry points."""
    found = []
    for package in ("shared", "services"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in info.name or info.name.endswith(".main"):
                continue
            found.append(importlib.import_module(info.name))
    return found


def is_statement(value: object) -> bool:
    return isinstance(value, Executable) and isinstance(value, sa.ClauseElement)


def module_statements() -> list[tuple[str, sa.ClauseElement]]:
    """Module-level statements, and those kept in a module-level tuple (a pair of a query
    and its locking form)."""
    found = []
    for module in project_modules():
        for name, value in vars(module).items():
            if is_statement(value):
                found.append((f"{module.__name__}.{name}", value))
            elif isinstance(value, tuple):
                found += [(f"{module.__name__}.{name}[{i}]", item)
                          for i, item in enumerate(value) if is_statement(item)]
    return found


def shared_statements() -> list[tuple[str, sa.ClauseElement]]:
    """The statements the shared outbox and inbox build in their constructors (the relay's
    one statement is plain SQL on its own connection, compiled once)."""
    metadata = sa.MetaData(schema="example")
    outbox, inbox = outbox_table(metadata), inbox_table(metadata)
    inbox_statements = _InboxStatements(inbox, "example-consumer")
    intake_outbox = Outbox(intake_tables.outbox, "intake", SystemClock())
    return [("outbox insert", Outbox(outbox, "example", SystemClock())._insert),
            ("a new case and its event", _add_published(intake_outbox)),
            *((f"inbox {name}", getattr(inbox_statements, name))
              for name in ("claim", "claim_all"))]


STATEMENTS = module_statements() + shared_statements()


def test_the_scan_finds_the_services_statements() -> None:
    names = {name for name, _ in STATEMENTS}
    # one of each service's hot statements, so an empty scan cannot pass
    assert {"services.matching.adapters.db.repository._ADD_CANDIDATE",
            "services.contingent.adapters.db.repository._RECORD_DECISION",
            "services.intake.adapters.db.repository._SAVE",
            "services.aftercare.adapters.db.repository._REMEMBER_INTAKE",
            "services.matching.adapters.db.repository._OPEN_MATCH_OF_HOME[1]",
            "inbox claim"} <= names
    assert len(STATEMENTS) > 30


@pytest.mark.parametrize(("name", "statement"), STATEMENTS, ids=[n for n, _ in STATEMENTS])
def test_a_statement_built_once_has_a_cache_key(name: str, statement: sa.ClauseElement) -> None:
    assert statement._generate_cache_key() is not None, f"{name} is compiled on every call"


@pytest.mark.parametrize(("name", "statement"), STATEMENTS, ids=[n for n, _ in STATEMENTS])
def test_a_statement_built_once_renders_no_list_per_execution(
    name: str, statement: sa.ClauseElement,
) -> None:
    """`column.in_(list)` is one "expanding" parameter, rendered into the SQL again on every
    execution; a fixed list is written with `shared.db.one_of` instead."""
    with warnings.catch_warnings():  # an INSERT compiled without its values warns of them
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        sql = str(statement.compile(dialect=postgresql.dialect()))
    assert "POSTCOMPILE" not in sql, name
