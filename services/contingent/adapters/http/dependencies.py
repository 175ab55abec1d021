"""What every contingent route needs: who asks, and a transaction to work in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.contingent.adapters.db.unit_of_work import UnitFactory
from services.contingent.application.access import Viewer
from shared.auth import Principal, require_role

Coordinator = Annotated[Principal, Depends(require_role("coordinator"))]
# A member organisation's own staff read their own member's lines; corporations get 403.
Reader = Annotated[Principal, Depends(require_role("coordinator", "caseworker", "supporter"))]


def viewer(principal: Principal) -> Viewer:
    return Viewer(role=principal.role, org=principal.org)


def units(request: Request) -> UnitFactory:
    return request.app.state.units  # type: ignore[no-any-return]
