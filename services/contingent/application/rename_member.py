"""Rename a member organisation: its id, shares and ledger stay as they are."""

from __future__ import annotations

import dataclasses

from services.contingent.application.errors import NotFound
from services.contingent.application.ports import Member, Unit


async def rename_member(unit: Unit, member_id: str, name: str) -> Member:
    member = await unit.members.get(member_id, lock=True)
    if member is None:
        raise NotFound(f"Member {member_id} is not registered.")
    await unit.members.rename(member_id, name)
    return dataclasses.replace(member, name=name)
