"""What the shared consumer treats as transient, and what it says when it gives up."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError

from shared.consumer import is_transient, safe_reason


class _Person(BaseModel):
    age: int


def test_connection_trouble_is_transient_and_a_bug_is_not() -> None:
    assert is_transient(ConnectionRefusedError())
    assert is_transient(TimeoutError())
    assert is_transient(sa.exc.OperationalError("SELECT 1", {}, Exception("gone")))
    assert not is_transient(KeyError("x"))
    assert not is_transient(sa.exc.IntegrityError("INSERT", {}, Exception("dup")))


def test_a_reason_never_echoes_the_invalid_value() -> None:
    try:
        _Person.model_validate({"age": "Johanna de Vries"})
    except ValidationError as exc:
        reason = safe_reason(exc)
    assert "age" in reason and "Johanna" not in reason


def test_a_database_error_reason_names_the_error_not_the_statement() -> None:
    exc = sa.exc.IntegrityError("INSERT INTO intakes VALUES ('Johanna')", {"n": "Johanna"},
                                Exception("duplicate key"))
    reason = safe_reason(exc)
    assert reason.startswith("IntegrityError") and "Johanna" not in reason
