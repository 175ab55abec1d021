"""Members: the association's roster. Coordinators register, rename and deactivate."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.contingent.adapters.http.dependencies import Coordinator, Reader, units
from services.contingent.adapters.http.presenters import member_out, redistribution_out
from services.contingent.adapters.http.schemas import (
    DeactivationOut,
    MemberId,
    MemberIn,
    MemberOut,
    MemberRename,
)
from services.contingent.application.deactivate_member import deactivate_member
from services.contingent.application.errors import NotFound
from services.contingent.application.register_member import register_member
from services.contingent.application.rename_member import rename_member

router = APIRouter(tags=["members"])


@router.post("/members", status_code=201, response_model=MemberOut)
async def post_member(body: MemberIn, request: Request, _: Coordinator) -> MemberOut:
    async with units(request)() as unit:
        return member_out(await register_member(unit, body.member_id, body.name))


@router.get("/members", response_model=list[MemberOut])
async def list_members(request: Request, _: Reader) -> list[MemberOut]:
    async with units(request)() as unit:
        return [member_out(m) for m in await unit.members.listing()]


@router.get("/members/{member_id}", response_model=MemberOut)
async def get_member(member_id: MemberId, request: Request, _: Reader) -> MemberOut:
    async with units(request)() as unit:
        member = await unit.members.get(member_id)
    if member is None:
        raise NotFound(f"Member {member_id} is not registered.")
    return member_out(member)


@router.patch("/members/{member_id}", response_model=MemberOut)
async def patch_member(
    member_id: MemberId, body: MemberRename, request: Request, _: Coordinator
) -> MemberOut:
    async with units(request)() as unit:
        return member_out(await rename_member(unit, member_id, body.name))


@router.post("/members/{member_id}/deactivate", response_model=DeactivationOut)
async def post_deactivate(member_id: MemberId, request: Request, _: Coordinator
                          ) -> DeactivationOut:
    """The member leaves; in every open year its unused share is redistributed at once."""
    async with units(request)() as unit:
        departure = await deactivate_member(unit, member_id)
    return DeactivationOut(
        member=member_out(departure.member),
        redistributions=[redistribution_out(year, record)
                         for year, record in sorted(departure.redistributions.items())])
