"""The aftercare service's Prometheus metrics, observed once the transaction has committed.

Labels are bounded sets only — member organisation, corporation, outcome, signal kind —
never a trajectory, case or client reference. Durations are business time (the clock the
trajectory's dates came from), so a simulated year reports like a real one.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.aftercare.domain import events as domain
from services.aftercare.domain.returns import ReturnWindow
from shared.metrics import BUSINESS_TIME_BUCKETS, DAY

TRAJECTORIES_OPENED = Counter(
    "transferpunt_aftercare_trajectories_opened_total",
    "Aftercare trajectories opened on a tenancy start", ["member_id"],
)
CHECKINS_RECORDED = Counter(
    "transferpunt_aftercare_checkins_recorded_total",
    "Aftercare check-ins recorded", ["member_id"],
)
CHECKINS_OVERDUE = Gauge(
    "transferpunt_aftercare_checkins_overdue",
    "Check-ins now overdue (past due date plus grace) on open trajectories", ["member_id"],
)
OVERDUE_ALERTS = Counter(
    "transferpunt_aftercare_overdue_alerts_total",
    "CheckInOverdue alerts raised (one per missed due date)", ["member_id"],
)
SIGNALS_RAISED = Counter(
    "transferpunt_aftercare_signals_raised_total",
    "Early-warning signals (vroegsignalering) raised by corporations",
    ["corporation_id", "kind"],
)
SIGNALS_ESCALATED = Counter(
    "transferpunt_aftercare_signals_escalated_total",
    "Signals nobody picked up in time, escalated to the coordinator", ["member_id", "kind"],
)
OUTCOMES = Counter(
    "transferpunt_aftercare_outcomes_total",
    "Aftercare trajectories completed, by outcome", ["member_id", "outcome"],
)
# A year of aftercare lasts 365-369 days (it closes on the next registration day; leap
# years), so a bound just above a year keeps those observations out of (365, 730] — else
# the interpolated p50 reads ~500 days where the events say 367.
DURATION_BUCKETS = tuple(sorted({*BUSINESS_TIME_BUCKETS, 372 * DAY}))
DURATION = Histogram(
    "transferpunt_aftercare_duration_seconds",
    "Business time from tenancy start to the end of aftercare", ["member_id", "outcome"],
    buckets=DURATION_BUCKETS,
)
RETURNS_12_MONTHS = Counter(
    "transferpunt_aftercare_returns_within_12_months_total",
    "Returns to homelessness (new intake) within 365 days of a tenancy start", ["member_id"],
)
RETURNS_24_MONTHS = Counter(
    "transferpunt_aftercare_returns_within_24_months_total",
    "Returns to homelessness (new intake) within 730 days of a tenancy start", ["member_id"],
)


def observe(event: domain.AftercareEvent, *, member_id: str, corporation_id: str) -> None:
    """Count what a committed domain event says."""
    match event:
        case domain.AftercareOpened():
            TRAJECTORIES_OPENED.labels(member_id).inc()
        case domain.CheckInRecorded():
            CHECKINS_RECORDED.labels(member_id).inc()
        case domain.CheckInOverdue():
            OVERDUE_ALERTS.labels(member_id).inc()
        case domain.SignalRaised():
            SIGNALS_RAISED.labels(corporation_id, event.kind.value).inc()
        case domain.SignalEscalated():
            SIGNALS_ESCALATED.labels(member_id, event.kind.value).inc()
        case domain.AftercareCompleted():
            OUTCOMES.labels(member_id, event.outcome.value).inc()
            DURATION.labels(member_id, event.outcome.value).observe(event.duration_days * DAY)


def observe_return(window: ReturnWindow, *, member_id: str) -> None:
    if window.within_12_months:
        RETURNS_12_MONTHS.labels(member_id).inc()
    if window.within_24_months:
        RETURNS_24_MONTHS.labels(member_id).inc()


_overdue_members: set[str] = set()


def set_overdue(per_member: dict[str, int]) -> None:
    """The gauge from the latest sweep; members no longer listed drop back to 0."""
    for member_id in _overdue_members - per_member.keys():
        CHECKINS_OVERDUE.labels(member_id).set(0)
    for member_id, count in per_member.items():
        CHECKINS_OVERDUE.labels(member_id).set(count)
    _overdue_members.update(per_member)
