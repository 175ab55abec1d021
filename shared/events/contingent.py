"""Events the contingent service publishes.

A year's own events (set, redistributed, warnings, closed) are keyed by a stable id derived
from the year, so they stay in order on one partition; `AllocationDecided` is keyed by the
home. Member ids are organisations, never people; no free-text notes travel on Kafka.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events.base import Event, register
from shared.events.common import Frozen, MemberId


class ShareLine(Frozen):
    member_id: MemberId
    need: int = Field(ge=0)
    share: int = Field(ge=0)
    carried_over: int = Field(default=0, ge=0, description="need added from a closed year")


@register
class ContingentSet(Event):
    """A year's shares were (re)computed from the total, the needs and the rules: set by the
    coordinator, or recomputed after a carry-over from the previous year."""

    event_type = "ContingentSet"
    producer = "contingent"

    year: int
    total_homes: int = Field(ge=0)
    method: str
    shares: list[ShareLine]
    min_per_member: int = Field(default=0, ge=0)
    cap_at_need: bool = False
    carried_over_from: int | None = None
    unallocated: int = Field(default=0, ge=0)


class MemberStanding(Frozen):
    """One member's place in the quota rule when a home was allocated. Fractions are exact,
    written "p/q" (a float would round the tie-breaks the coordinator must be able to check)."""

    member_id: MemberId
    share: int
    received: int
    ideal_to_date: str
    deviation: str
    allowed: bool
    eligible: bool
    priority: str


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
    standings: list[MemberStanding] = Field(default_factory=list)  # added later: optional


@register
class ShareExhausted(Event):
    """A member has received its whole share (consumed plus homes in flight)."""

    event_type = "ShareExhausted"
    producer = "contingent"

    year: int
    member_id: MemberId
    share: int = Field(default=0, ge=0)
    used: int = Field(default=0, ge=0, description="homes consumed plus homes in flight")


@register
class ContingentNearlyUsed(Event):
    """The year's homes consumed or in flight reached the warning threshold (90%)."""

    event_type = "ContingentNearlyUsed"
    producer = "contingent"

    year: int
    used_homes: int = Field(ge=0)
    total_homes: int = Field(ge=0)
    threshold_percent: int = Field(ge=0, le=100)


class RedistributedShare(Frozen):
    member_id: MemberId
    unmet_need: int = Field(ge=0)
    share_before: int = Field(ge=0)
    share_after: int = Field(ge=0)


@register
class Redistributed(Event):
    """The unused part of a year was shared again among the members with unmet need."""

    event_type = "Redistributed"
    producer = "contingent"

    year: int
    cause: Literal["coordinator", "member_left"]
    member_id: MemberId | None = Field(default=None, description="the member that left")
    pool: int = Field(ge=0)
    unallocated: int = Field(ge=0)
    shares: list[RedistributedShare]


class MemberBalanceLine(Frozen):
    member_id: MemberId
    need: int = Field(ge=0)
    share: int = Field(ge=0)
    used: int = Field(ge=0)
    unused: int = Field(ge=0, description="share not received: carried over on request")
    overrun: int = Field(ge=0, description="homes received beyond the share")


@register
class ContingentClosed(Event):
    event_type = "ContingentClosed"
    producer = "contingent"

    year: int
    balances: list[MemberBalanceLine] = Field(default_factory=list)
    in_flight_counted_as_used: int = Field(default=0, ge=0)
