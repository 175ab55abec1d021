"""Domain events the trajectory records; the application maps them to events on Kafka.

They carry the pseudonymous references only. Private notes, agreed actions, life-domain
scores and a signal's free text never appear here: what leaves the service is decided at this
boundary.
"""

from dataclasses import dataclass
from datetime import date, datetime

from services.aftercare.domain.checkin import CheckInStatus
from services.aftercare.domain.outcomes import Outcome
from services.aftercare.domain.signals import SignalKind


@dataclass(frozen=True, kw_only=True)
class AftercareEvent:
    """Common to every aftercare event."""

    trajectory_id: str
    case_id: str


@dataclass(frozen=True, kw_only=True)
class AftercareOpened(AftercareEvent):
    member_id: str
    client_ref: str
    tenancy_start: date
    ends_on: date


@dataclass(frozen=True, kw_only=True)
class CheckInRecorded(AftercareEvent):
    checkin_id: str
    held_on: date
    status: CheckInStatus
    fulfils_month: int | None  # None: an extra contact outside the schedule
    due_on: date | None


@dataclass(frozen=True, kw_only=True)
class CheckInOverdue(AftercareEvent):
    member_id: str
    month: int
    due_on: date
    overdue_from: date


@dataclass(frozen=True, kw_only=True)
class SignalRaised(AftercareEvent):
    signal_id: str
    kind: SignalKind
    months_owed: int | None
    raised_at: datetime
    escalates_at: datetime


@dataclass(frozen=True, kw_only=True)
class SignalAcknowledged(AftercareEvent):
    signal_id: str
    acknowledged_at: datetime


@dataclass(frozen=True, kw_only=True)
class SignalEscalated(AftercareEvent):
    member_id: str
    signal_id: str
    kind: SignalKind
    raised_at: datetime
    escalated_at: datetime


@dataclass(frozen=True, kw_only=True)
class AftercareExtended(AftercareEvent):
    months: int
    ends_on: date


@dataclass(frozen=True, kw_only=True)
class AftercareCompleted(AftercareEvent):
    outcome: Outcome
    completed_on: date
    duration_days: int


@dataclass(frozen=True, kw_only=True)
class ContractConversionDue(AftercareEvent):
    """Omklap: the intermediary contract may go to the tenant's own name from ``due_on``."""

    corporation_id: str
    home_id: str
    due_on: date
