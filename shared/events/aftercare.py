"""Events the aftercare service publishes."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from shared.events.base import Event, register
from shared.events.common import ClientRef, MemberId, OrgId, Outcome


@register
class TrajectoryOpened(Event):
    event_type = "TrajectoryOpened"
    producer = "aftercare"

    trajectory_id: UUID
    client_ref: ClientRef
    member_id: MemberId
    tenancy_start: date
    ends_on: date


@register
class CheckInRecorded(Event):
    event_type = "CheckInRecorded"
    producer = "aftercare"

    trajectory_id: UUID
    member_id: MemberId
    status: Literal["stable", "attention", "crisis"]
    on: date


@register
class CheckInOverdue(Event):
    event_type = "CheckInOverdue"
    producer = "aftercare"

    trajectory_id: UUID
    member_id: MemberId
    due_on: date


@register
class SignalRaised(Event):
    """Vroegsignalering: the corporation's early warning, routed to the supporter."""

    event_type = "SignalRaised"
    producer = "aftercare"

    signal_id: UUID
    trajectory_id: UUID
    member_id: MemberId
    corporation_id: OrgId
    kind: Literal["rent_arrears", "nuisance", "other"]


@register
class SignalEscalated(Event):
    event_type = "SignalEscalated"
    producer = "aftercare"

    signal_id: UUID
    trajectory_id: UUID
    member_id: MemberId


@register
class AftercareCompleted(Event):
    event_type = "AftercareCompleted"
    producer = "aftercare"

    trajectory_id: UUID
    client_ref: ClientRef
    member_id: MemberId
    outcome: Outcome
    tenancy_start: date
    completed_on: date


@register
class ContractConversionDue(Event):
    """Omklap: the intermediary contract is due to convert to the tenant's own name."""

    event_type = "ContractConversionDue"
    producer = "aftercare"

    trajectory_id: UUID
    home_id: UUID
    corporation_id: OrgId


@register
class ReturnToHomelessness(Event):
    """A new intake for a client_ref within 24 months of a tenancy start (HUD SPM returns)."""

    event_type = "ReturnToHomelessness"
    producer = "aftercare"

    client_ref: ClientRef
    member_id: MemberId
    tenancy_start: date
    returned_on: date
    days_after_tenancy: int
