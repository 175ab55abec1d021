"""Events the intake service publishes. The privacy boundary: only what matching needs."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from shared.events.base import Event, register
from shared.events.common import (
    Accessibility,
    ClientRef,
    ClusterPreference,
    Frozen,
    Household,
    MemberId,
    Money,
    Municipality,
    Risk,
    Urgency,
)


class MatchingProfile(Frozen):
    """What matching needs to know about a waiting client — nothing that identifies them."""

    household: Household
    required_bedrooms: int = Field(ge=1, le=8)
    monthly_income: Money
    max_rent: Money
    accessibility_needs: list[Accessibility] = Field(default_factory=list)
    preferred_municipalities: list[Municipality] = Field(default_factory=list)
    excluded_municipalities: list[Municipality] = Field(default_factory=list)
    cluster_preference: ClusterPreference = "no_preference"
    support_hours_per_week: int = Field(default=0, ge=0, le=40)
    risks: list[Risk] = Field(default_factory=list)
    urgency: Urgency = "normal"
    ready_from: date


@register
class IntakeSubmitted(Event):
    event_type = "IntakeSubmitted"
    producer = "intake"

    client_ref: ClientRef
    member_id: MemberId
    profile: MatchingProfile
    consent: Literal[True]


@register
class IntakeUpdated(Event):
    """Only the matching fields that changed (`changed` names them; `profile` is the whole
    new profile so a consumer never has to merge)."""

    event_type = "IntakeUpdated"
    producer = "intake"

    client_ref: ClientRef
    member_id: MemberId
    changed: list[str]
    profile: MatchingProfile


@register
class IntakeWithdrawn(Event):
    """The caseworker withdrew a published intake; any proposal it holds is released. Why it
    was withdrawn is coarse on purpose: lost contact and death are `other` on the wire."""

    event_type = "IntakeWithdrawn"
    producer = "intake"

    client_ref: ClientRef
    member_id: MemberId
    reason: Literal["housed_elsewhere", "client_withdrew", "no_longer_eligible", "other"]


ClientDeclineReason = Literal[
    "home_unsuitable", "location", "too_expensive", "not_ready", "personal_circumstances", "other"
]


@register
class ClientResponded(Event):
    """The caseworker recorded the client's answer to a proposed home (the client keeps the
    last word: a decline may follow an accept). `reason` is set only for a decline.

    The intake sends `home_unsuitable`, `location`, `too_expensive`, `not_ready` or `other`;
    `personal_circumstances` is still read (older producers sent it) but no longer sent.
    """

    event_type = "ClientResponded"
    producer = "intake"

    match_id: str
    member_id: MemberId
    response: Literal["accept", "decline"]
    reason: ClientDeclineReason | None = None
