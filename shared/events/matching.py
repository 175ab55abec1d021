"""Events the matching service publishes: homes, allocation requests, proposals, tenancies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events.base import Event, register
from shared.events.common import (
    Accessibility,
    ClientRef,
    Contract,
    DeclineReason,
    MemberId,
    Money,
    Municipality,
    OrgId,
)


@register
class HomeOffered(Event):
    """A corporation offers a home into the contingent (keyed by home_id)."""

    event_type = "HomeOffered"
    producer = "matching"

    home_id: UUID
    corporation_id: OrgId
    municipality: Municipality
    postcode4: str = Field(pattern=r"^[1-9][0-9]{3}$")
    bedrooms: int = Field(ge=0, le=8)
    rent: Money
    accessibility: list[Accessibility] = Field(default_factory=list)
    near_support_point: bool
    contract: Contract
    available_from: date
    contingent_year: int = Field(ge=2000, le=2100)


@register
class HomeWithdrawn(Event):
    event_type = "HomeWithdrawn"
    producer = "matching"

    home_id: UUID
    corporation_id: OrgId
    contingent_year: int


@register
class AllocationRequested(Event):
    """Matching asks the contingent which member is owed this home, among the members that
    have an eligible candidate. A higher `round` for the same home replaces the last answer
    (the previous allocation fell through)."""

    event_type = "AllocationRequested"
    producer = "matching"

    home_id: UUID
    contingent_year: int
    round: int = Field(ge=1)
    eligible_members: list[MemberId]


@register
class MatchProposed(Event):
    event_type = "MatchProposed"
    producer = "matching"

    match_id: UUID
    home_id: UUID
    client_ref: ClientRef
    member_id: MemberId
    corporation_id: OrgId
    municipality: Municipality
    contingent_year: int
    deadline: datetime
    intake_submitted_at: datetime


class _Decision(Event):
    match_id: UUID
    home_id: UUID
    member_id: MemberId
    corporation_id: OrgId
    proposed_at: datetime


@register
class MatchAccepted(_Decision):
    event_type = "MatchAccepted"
    producer = "matching"


@register
class MatchDeclined(_Decision):
    event_type = "MatchDeclined"
    producer = "matching"

    reason: DeclineReason
    decided_by: Literal["corporation", "client"] = "corporation"


@register
class MatchExpired(_Decision):
    event_type = "MatchExpired"
    producer = "matching"


@register
class MatchCancelled(_Decision):
    """The proposal ended because the intake or the home was withdrawn."""

    event_type = "MatchCancelled"
    producer = "matching"

    cause: Literal["intake_withdrawn", "home_withdrawn"]


@register
class TenancyStarted(Event):
    event_type = "TenancyStarted"
    producer = "matching"

    match_id: UUID
    home_id: UUID
    client_ref: ClientRef
    member_id: MemberId
    corporation_id: OrgId
    municipality: Municipality
    contingent_year: int
    signed_on: date
    start_date: date
    contract: Contract
    intake_submitted_at: datetime
