"""One open case per client: a second intake for the same client_ref is refused.

Two open cases would give one person two places in the queue and could take two homes from the
contingent. The check runs on `client_ref`, so it also finds a case at another member
organisation. What the caseworker is then told is the application's decision: when the open
case belongs to another organisation it should say only that an open case exists elsewhere, and
leave it to the coordinator, because the other organisation's clients are not theirs to see.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from services.intake.domain.errors import DuplicateIntake
from services.intake.domain.intake import OPEN_STATUSES, IntakeStatus


class CaseSummary(Protocol):
    """What the check needs of an existing case; `Intake` satisfies it."""

    @property
    def case_id(self) -> str: ...

    @property
    def client_ref(self) -> str: ...

    @property
    def member_id(self) -> str: ...

    @property
    def status(self) -> IntakeStatus: ...


def find_open_case(client_ref: str, cases: Iterable[CaseSummary]) -> CaseSummary | None:
    """The open case (not closed, not withdrawn) of this client, if any."""
    for case in cases:
        if case.client_ref == client_ref and case.status in OPEN_STATUSES:
            return case
    return None


def ensure_no_open_case(client_ref: str, cases: Iterable[CaseSummary]) -> None:
    """Raise `DuplicateIntake` pointing at the open case when the client already has one."""
    open_case = find_open_case(client_ref, cases)
    if open_case is not None:
        raise DuplicateIntake(open_case.case_id, open_case.member_id)
