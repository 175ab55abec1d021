"""The privacy boundary: what the aftercare domain records → what goes onto Kafka."""

from datetime import UTC, date, datetime

from services.aftercare.application.integration_events import return_event, to_integration_event
from services.aftercare.application.ports import ReturnFound, SeenIntake
from services.aftercare.domain.checkin import CheckIn, CheckInStatus, LifeDomain
from services.aftercare.domain.outcomes import Contract, ContractType, Outcome
from services.aftercare.domain.returns import classify_return
from services.aftercare.domain.signals import SignalKind
from services.aftercare.domain.trajectory import AftercareTrajectory
from shared.events import aftercare as wire
from shared.events import parse_event
from shared.events.base import envelope_for

START = date(2027, 1, 15)
TRAJECTORY = "0b0e7a34-4a4f-4c2e-9d59-1b0c8d0f6a01"
CASE = "6f1c3f0e-2a7b-4d0a-8f7e-3c2d1b0a9e88"
HOME = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
CHECKIN = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
SIGNAL = "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a"
NOTE = "notitie: vertelde over zijn broer"
ACTION = "actie: afspraak bij de schuldhulp"
DESCRIPTION = "buren klagen over harde muziek"
REASON = "schulden nog niet geregeld"


def _a_full_year() -> AftercareTrajectory:
    trajectory = AftercareTrajectory.open(
        trajectory_id=TRAJECTORY, case_id=CASE, client_ref="ref_0123456789", member_id="m01",
        corporation_id="corp1", home_id=HOME, tenancy_start=START,
        contract=Contract(ContractType.INTERMEDIARY, omklap_after_months=12),
    )
    trajectory.record_checkin(CheckIn(
        checkin_id=CHECKIN, held_on=date(2027, 2, 15), status=CheckInStatus.ATTENTION,
        scores={LifeDomain.DEBTS: 2}, agreed_actions=(ACTION,), private_notes=NOTE,
    ), today=date(2027, 2, 15))
    trajectory.alert_overdue_checkins(date(2027, 4, 1))
    trajectory.raise_signal(signal_id=SIGNAL, kind=SignalKind.RENT_ARREARS, months_owed=3,
                            raised_at=datetime(2027, 4, 2, 9, tzinfo=UTC),
                            raised_on=date(2027, 4, 2),
                            description=DESCRIPTION)
    trajectory.signals_to_escalate(datetime(2027, 4, 8, 9, tzinfo=UTC))
    trajectory.acknowledge_signal(SIGNAL, by="supporter@m01",
                                  now=datetime(2027, 4, 9, 9, tzinfo=UTC))
    trajectory.extend(months=3, reason=REASON, today=date(2028, 1, 10))
    trajectory.complete(Outcome.STABLE, today=date(2028, 4, 15))
    return trajectory


def _wire_events(trajectory: AftercareTrajectory) -> list[wire.Event]:
    mapped = [to_integration_event(e, trajectory) for e in trajectory.pull_events()]
    return [e for e in mapped if e is not None]


def test_every_domain_event_of_a_year_has_a_wire_event() -> None:
    events = _wire_events(_a_full_year())

    assert [type(e).__name__ for e in events] == [
        "TrajectoryOpened", "CheckInRecorded", "CheckInOverdue",
        "SignalRaised", "SignalEscalated", "SignalAcknowledged", "AftercareExtended",
        "AftercareCompleted", "ContractConversionDue",
    ]


def test_notes_actions_scores_descriptions_and_reasons_never_reach_the_wire() -> None:
    for event in _wire_events(_a_full_year()):
        raw = envelope_for(event, case_id=event.trajectory_id,  # type: ignore[attr-defined]
                           occurred_at=datetime(2028, 4, 15, tzinfo=UTC),
                           recorded_at=datetime(2028, 4, 15, tzinfo=UTC)).model_dump_json()
        for private in (NOTE, ACTION, DESCRIPTION, REASON, "debts", "months_owed"):
            assert private not in raw, (type(event).__name__, private)


def test_wire_events_read_back_as_the_registered_models() -> None:
    for event in _wire_events(_a_full_year()):
        envelope = envelope_for(event, case_id=event.trajectory_id,  # type: ignore[attr-defined]
                                occurred_at=datetime(2028, 4, 15, tzinfo=UTC),
                                recorded_at=datetime(2028, 4, 15, tzinfo=UTC))
        assert parse_event(envelope) == event


def test_completion_and_omklap_carry_what_the_corporation_needs() -> None:
    events = _wire_events(_a_full_year())
    completed = next(e for e in events if isinstance(e, wire.AftercareCompleted))
    conversion = next(e for e in events if isinstance(e, wire.ContractConversionDue))

    assert (completed.outcome, completed.duration_days) == ("stable", 456)
    assert completed.client_ref == "ref_0123456789"
    assert (str(conversion.home_id), conversion.corporation_id) == (HOME, "corp1")
    assert conversion.due_on == date(2028, 4, 15)


def test_return_event_names_the_tenancy_and_the_window() -> None:
    trajectory = _a_full_year()
    intake = SeenIntake(case_id=CASE, client_ref="ref_0123456789", member_id="m07",
                        submitted_on=date(2027, 7, 1))
    window = classify_return(START, intake.submitted_on)
    assert window is not None

    event = return_event(ReturnFound(trajectory=trajectory, intake=intake, window=window))

    assert (event.member_id, event.days_after_tenancy, event.bucket) == ("m01", 167, "0-180")
    assert str(event.trajectory_id) == TRAJECTORY
