"""The order of the supporter's list: most urgent first."""

from datetime import UTC, date, datetime, timedelta

from services.aftercare.domain.attention import (
    AttentionTier,
    attention_key,
    attention_tier,
    order_by_attention,
)
from services.aftercare.domain.checkin import CheckIn, CheckInStatus
from services.aftercare.domain.outcomes import Contract, ContractType, Outcome
from services.aftercare.domain.signals import SignalKind
from services.aftercare.domain.trajectory import AftercareTrajectory

TODAY = date(2025, 3, 10)
NOW = datetime(2025, 3, 10, 12, tzinfo=UTC)


def _trajectory(trajectory_id: str, start: date = date(2025, 1, 20)) -> AftercareTrajectory:
    return AftercareTrajectory.open(
        trajectory_id=trajectory_id,
        case_id=f"case-{trajectory_id}",
        client_ref=f"ref-{trajectory_id}",
        member_id="m01",
        corporation_id="corp1",
        home_id=f"home-{trajectory_id}",
        tenancy_start=start,
        contract=Contract(ContractType.OWN_NAME),
    )


def _with_signal(trajectory_id: str, raised_at: datetime) -> AftercareTrajectory:
    trajectory = _trajectory(trajectory_id)
    trajectory.raise_signal(signal_id="s", kind=SignalKind.NUISANCE, raised_at=raised_at,
                            raised_on=raised_at.date())
    return trajectory


def _with_last_status(trajectory_id: str, status: CheckInStatus) -> AftercareTrajectory:
    trajectory = _trajectory(trajectory_id)
    trajectory.record_checkin(
        CheckIn(checkin_id="c", held_on=date(2025, 2, 20), status=status), today=TODAY
    )
    return trajectory


def _overdue(trajectory_id: str) -> AftercareTrajectory:
    # Month 1 due Feb 1, overdue from Feb 16.
    return _trajectory(trajectory_id, start=date(2025, 1, 1))


def test_list_puts_escalated_then_open_signals_then_overdue_then_crisis_then_attention() -> None:
    expected = [
        _with_signal("escalated", NOW - timedelta(days=6)),
        _with_signal("signal", NOW - timedelta(days=1)),
        _overdue("overdue"),
        _with_last_status("crisis", CheckInStatus.CRISIS),
        _with_last_status("attention", CheckInStatus.ATTENTION),
        _with_last_status("stable", CheckInStatus.STABLE),
    ]

    ordered = order_by_attention(reversed(expected), now=NOW, today=TODAY)

    assert [t.trajectory_id for t in ordered] == [t.trajectory_id for t in expected]
    assert [attention_tier(t, now=NOW, today=TODAY) for t in ordered] == [
        AttentionTier.ESCALATED_SIGNAL,
        AttentionTier.OPEN_SIGNAL,
        AttentionTier.OVERDUE_CHECKIN,
        AttentionTier.CRISIS,
        AttentionTier.ATTENTION,
        AttentionTier.ON_TRACK,
    ]


def test_signal_counts_as_escalated_from_its_deadline_even_before_the_sweep_ran() -> None:
    trajectory = _with_signal("t", NOW - timedelta(days=5))

    assert attention_tier(trajectory, now=NOW, today=TODAY) is AttentionTier.ESCALATED_SIGNAL


def test_picked_up_signal_no_longer_puts_the_trajectory_on_top() -> None:
    trajectory = _with_last_status("t", CheckInStatus.STABLE)
    raised = NOW - timedelta(days=6)
    trajectory.raise_signal(signal_id="s", kind=SignalKind.OTHER, raised_at=raised,
                            raised_on=raised.date())
    trajectory.acknowledge_signal("s", by="supporter", now=NOW)

    assert attention_tier(trajectory, now=NOW, today=TODAY) is AttentionTier.ON_TRACK


def test_within_a_tier_the_earliest_next_due_date_comes_first() -> None:
    later = _trajectory("a", start=date(2025, 2, 5))  # next due Mar 5
    sooner = _trajectory("b", start=date(2025, 1, 25))  # next due Feb 25

    ordered = order_by_attention([later, sooner], now=NOW, today=date(2025, 2, 1))

    assert [t.trajectory_id for t in ordered] == ["b", "a"]
    assert attention_key(sooner, now=NOW, today=date(2025, 2, 1)).next_due_on == date(2025, 2, 25)


def test_trajectory_id_breaks_ties_so_the_list_is_stable() -> None:
    ordered = order_by_attention(
        [_trajectory("b"), _trajectory("a")], now=NOW, today=date(2025, 2, 1)
    )

    assert [t.trajectory_id for t in ordered] == ["a", "b"]


def test_completed_trajectories_sink_to_the_bottom() -> None:
    done = _with_signal("done", NOW - timedelta(days=6))
    done.complete(Outcome.STABLE, today=TODAY)
    stable = _with_last_status("stable", CheckInStatus.STABLE)

    ordered = order_by_attention([done, stable], now=NOW, today=TODAY)

    assert [t.trajectory_id for t in ordered] == ["stable", "done"]
    assert attention_key(done, now=NOW, today=TODAY).next_due_on == date.max
