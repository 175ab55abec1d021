"""Who may see and change which case (DESIGN.md, "Who uses it").

- A caseworker sees and changes only their own member organisation's cases; another member's
  case does not exist for them (not found, never "forbidden", so its existence does not leak).
- The regional coordinator sees every case, but only its pseudonymous part: no name, contact,
  date of birth, BSN or notes. The coordinator changes nothing and reads the access log.
- Corporation staff and ambulant supporters have no business in the client file.
"""

from __future__ import annotations

from typing import Protocol

from services.intake.domain.intake import Intake


class Actor(Protocol):
    """The authenticated caller (the token's `sub`, `role` and `org`)."""

    @property
    def sub(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def org(self) -> str: ...


class CaseNotFound(LookupError):
    """No such case — or not one this caller may know about."""


class NotAllowed(PermissionError):
    """The caller's role may not do this."""


READERS = frozenset({"caseworker", "coordinator"})


def ensure_reader(actor: Actor) -> None:
    if actor.role not in READERS:
        raise NotAllowed(f"role {actor.role!r} may not see intakes")


def ensure_caseworker(actor: Actor) -> None:
    if actor.role != "caseworker":
        raise NotAllowed(f"role {actor.role!r} may not change intakes; a caseworker does")


def ensure_coordinator(actor: Actor) -> None:
    if actor.role != "coordinator":
        raise NotAllowed(f"role {actor.role!r} may not read the access log")


def visible_case(actor: Actor, intake: Intake | None) -> Intake:
    """The case if this caller may see it at all; otherwise CaseNotFound."""
    ensure_reader(actor)
    if intake is None or (actor.role == "caseworker" and actor.org != intake.member_id):
        raise CaseNotFound("no such case")
    return intake


def changeable_case(actor: Actor, intake: Intake | None) -> Intake:
    """The case if this caller may change it (their own organisation's caseworker)."""
    ensure_caseworker(actor)
    return visible_case(actor, intake)


def sees_personal_data(actor: Actor, intake: Intake) -> bool:
    """Only the own organisation's caseworker, and only while the data has not been erased."""
    return (
        actor.role == "caseworker"
        and actor.org == intake.member_id
        and intake.personal_data_erased_at is None
    )
