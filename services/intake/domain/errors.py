"""Errors of the intake domain.

Every message is written for the caseworker who has to fix the input. A message names the field
and what is wrong with it, and never repeats the value itself: the value may be personal data
(a name, a BSN, a date of birth) and error messages end up in logs and HTTP responses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field.

    `field` is a dotted path into the intake, e.g. `client.bsn` or `risks[1].mitigation`.
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class IntakeError(Exception):
    """Base class of every error the intake domain raises on purpose."""


class IntakeInvalid(IntakeError):
    """The intake has one or more invalid fields; `errors` lists all of them, not just the first."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors: list[FieldError] = list(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


class TransitionNotAllowed(IntakeError):
    """The intake's lifecycle does not allow this step from its current status."""


class DuplicateIntake(IntakeError):
    """The client already has an open case; a second one would hold two places in the queue."""

    def __init__(self, open_case_id: str, open_case_member_id: str) -> None:
        self.open_case_id = open_case_id
        # Kept apart so the application can decide what it may reveal to another organisation.
        self.open_case_member_id = open_case_member_id
        super().__init__(
            f"this client already has an open case ({open_case_id}); "
            "update or withdraw that case instead of opening a new one"
        )


class ErrorList:
    """Collects field errors so validation can report all of them at once."""

    def __init__(self) -> None:
        self._errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self._errors.append(FieldError(field, message))

    def extend(self, errors: Iterable[FieldError]) -> None:
        self._errors.extend(errors)

    @property
    def errors(self) -> list[FieldError]:
        return list(self._errors)

    def raise_if_any(self) -> None:
        if self._errors:
            raise IntakeInvalid(self._errors)
