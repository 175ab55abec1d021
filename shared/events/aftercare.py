"""Events the aftercare service publishes.

Pseudonymous references and dates only: a check-in's scores, agreed actions and private notes,
a signal's description, the months of rent owed and an extension's reason stay in aftercare's
own database. Fields added after the first version are optional, so events already on the
topics still read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events.base import Event, register
from shared.events.common import ClientRef, MemberId, OrgId, Outcome

CheckInStatus = Literal["stable", "attention", "crisis"]
SignalKind = Literal["rent_arrears", "nuisance", "other"]
ReturnBucket = Literal["0-180", "181-365", "366-730"]


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
    status: CheckInStatus
    on: date
    checkin_id: UUID | None = None
    fulfils_month: int | None = Field(default=None, ge=1)  # None: an extra contact
    due_on: date | None = None


@register
class CheckInOverdue(Event):
    event_type = "CheckInOverdue"
    producer = "aftercare"

    trajectory_id: UUID
    member_id: MemberId
    due_on: date
    month: int | None = Field(default=None, ge=1)
    overdue_from: date | None = None


@register
class SignalRaised(Event):
    """Vroegsignalering: the corporation's early warning, routed to the supporter."""

    event_type = "SignalRaised"
    producer = "aftercare"

    signal_id: UUID
    trajectory_id: UUID
    member_id: MemberId
    corporation_id: OrgId
    kind: SignalKind
    escalates_at: datetime | None = None


@register
class SignalAcknowledged(Event):
    """The supporter picked the signal up; it will not escalate."""

    event_type = "SignalAcknowledged"
    producer = "aftercare"

    signal_id: UUID
    trajectory_id: UUID
    member_id: MemberId
    corporation_id: OrgId


@register
class SignalEscalated(Event):
    """Nobody picked the signal up in time: it goes to the regional coordinator."""

    event_type = "SignalEscalated"
    producer = "aftercare"

    signal_id: UUID
    trajectory_id: UUID
    member_id: MemberId
    corporation_id: OrgId | None = None
    kind: SignalKind | None = None
    raised_at: datetime | None = None


@register
class AftercareExtended(Event):
    """Verlenging: aftercare continues beyond the agreed length (the reason stays local)."""

    event_type = "AftercareExtended"
    producer = "aftercare"

    trajectory_id: UUID
    member_id: MemberId
    months: int = Field(ge=1)
    ends_on: date


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
    duration_days: int | None = Field(default=None, ge=0)


@register
class ContractConversionDue(Event):
    """Omklap: the intermediary contract is due to convert to the tenant's own name."""

    event_type = "ContractConversionDue"
    producer = "aftercare"

    trajectory_id: UUID
    home_id: UUID
    corporation_id: OrgId
    due_on: date | None = None


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
    trajectory_id: UUID | None = None
    bucket: ReturnBucket | None = None
