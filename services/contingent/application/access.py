"""Who may see what of the contingent.

- Only the regional coordinator changes contingents and members, and sees every member's line,
  the ledger of all members, the explanations and the redistributions.
- A member organisation's caseworkers and supporters see their own member's line only: its
  share in the view, its own ledger entries. Asking for another member's is refused.
- Corporations see nothing here (the HTTP layer refuses them by role).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.contingent.application.errors import Forbidden


@dataclass(frozen=True)
class Viewer:
    role: str
    org: str

    @property
    def is_coordinator(self) -> bool:
        return self.role == "coordinator"

    def sees(self, member_id: str) -> bool:
        return self.is_coordinator or member_id == self.org


def member_scope(viewer: Viewer, asked: str | None) -> str | None:
    """The member whose lines to show: what was asked (None: all) for the coordinator; the
    viewer's own member for everyone else."""
    if viewer.is_coordinator:
        return asked
    if asked is not None and asked != viewer.org:
        raise Forbidden(f"A {viewer.role} of {viewer.org} sees only {viewer.org}'s lines.")
    return viewer.org
