"""Register a member organisation of the association (lid), so it can be given a share."""

from __future__ import annotations

from services.contingent.application.errors import Conflict
from services.contingent.application.ports import Member, Unit


async def register_member(unit: Unit, member_id: str, name: str) -> Member:
    """Rules: a member id is registered once; a member that left keeps its id for good."""
    member = Member(member_id=member_id, name=name, active=True, created_at=unit.now)
    if not await unit.members.add(member):
        raise Conflict(f"Member {member_id} is already registered; rename it with "
                       f"PATCH /members/{member_id}.")
    return member
