"""Domain events → the events on Kafka: the aftercare service's privacy boundary.

What leaves the service is decided here and only here. The wire events carry pseudonymous
references, dates, statuses and codes; a check-in's scores, agreed actions and private notes,
a signal's description, the months of rent owed and an extension's reason stay behind.
"""

from __future__ import annotations

from uuid import UUID

from services.aftercare.application.ports import ReturnFound
from services.aftercare.domain import events as domain
from services.aftercare.domain.trajectory import AftercareTrajectory
from shared.events import Event
from shared.events import aftercare as wire


def to_integration_event(
    event: domain.AftercareEvent, trajectory: AftercareTrajectory
) -> Event | None:
    """The event another service may see for ``event`` (None: it stays inside aftercare)."""
    ids = {"trajectory_id": UUID(event.trajectory_id), "member_id": trajectory.member_id}
    match event:
        case domain.AftercareOpened():
            return wire.TrajectoryOpened(
                **ids, client_ref=event.client_ref, tenancy_start=event.tenancy_start,
                ends_on=event.ends_on,
            )
        case domain.CheckInRecorded():
            return wire.CheckInRecorded(
                **ids, status=event.status.value, on=event.held_on,
                checkin_id=UUID(event.checkin_id), fulfils_month=event.fulfils_month,
                due_on=event.due_on,
            )
        case domain.CheckInOverdue():
            return wire.CheckInOverdue(
                **ids, due_on=event.due_on, month=event.month, overdue_from=event.overdue_from,
            )
        case domain.SignalRaised():
            return wire.SignalRaised(
                **ids, signal_id=UUID(event.signal_id),
                corporation_id=trajectory.corporation_id, kind=event.kind.value,
                escalates_at=event.escalates_at,
            )
        case domain.SignalAcknowledged():
            return wire.SignalAcknowledged(
                **ids, signal_id=UUID(event.signal_id), corporation_id=trajectory.corporation_id,
            )
        case domain.SignalEscalated():
            return wire.SignalEscalated(
                **ids, signal_id=UUID(event.signal_id), corporation_id=trajectory.corporation_id,
                kind=event.kind.value, raised_at=event.raised_at,
            )
        case domain.AftercareExtended():
            return wire.AftercareExtended(**ids, months=event.months, ends_on=event.ends_on)
        case domain.AftercareCompleted():
            return wire.AftercareCompleted(
                **ids, client_ref=trajectory.client_ref, outcome=event.outcome.value,
                tenancy_start=trajectory.tenancy_start, completed_on=event.completed_on,
                duration_days=event.duration_days,
            )
        case domain.ContractConversionDue():
            return wire.ContractConversionDue(
                trajectory_id=UUID(event.trajectory_id), home_id=UUID(event.home_id),
                corporation_id=event.corporation_id, due_on=event.due_on,
            )
    return None


def return_event(found: ReturnFound) -> wire.ReturnToHomelessness:
    """A return to homelessness, for the coordinator's and the region's figures."""
    trajectory = found.trajectory
    return wire.ReturnToHomelessness(
        client_ref=trajectory.client_ref, member_id=trajectory.member_id,
        tenancy_start=trajectory.tenancy_start, returned_on=found.intake.submitted_on,
        days_after_tenancy=found.window.days_after_tenancy_start,
        trajectory_id=UUID(trajectory.trajectory_id), bucket=found.window.bucket.value,
    )
