"""Events the contingent service publishes."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from shared.events.base import Event, register
from shared.events.common import Frozen, MemberId


class ShareLine(Frozen):
    member_id: MemberId
    need: int = Field(ge=0)
    share: int = Field(ge=0)


@register
class ContingentSet(Event):
    event_type = "ContingentSet"
    producer = "contingent"

    year: int
    total_homes: int = Field(ge=0)
    method: str
    shares: list[ShareLine]


@register
class AllocationDecided(Event):
    """The contingent's answer to AllocationRequested: which member is owed the home
    (None: no member with an eligible candidate), and whether the quota rule was skipped."""

    event_type = "AllocationDecided"
    producer = "contingent"

    home_id: UUID
    contingent_year: int
    round: int
    member_id: MemberId | None
    home_number: int
    skipped: bool
    reason: str = Field(max_length=500)


@register
class ShareExhausted(Event):
    event_type = "ShareExhausted"
    producer = "contingent"

    year: int
    member_id: MemberId


@register
class ContingentClosed(Event):
    event_type = "ContingentClosed"
    producer = "contingent"

    year: int
