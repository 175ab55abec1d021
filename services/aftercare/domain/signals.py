"""Vroegsignalering: early-warning signals a housing corporation reports on a tenancy.

A signal goes to the open trajectory of the tenancy; the supporter picks it up
(acknowledges it). A signal nobody picked up within ``escalation_days`` calendar days goes to
the regional coordinator, once. Moments are timezone-aware datetimes; calendar days, not
working days, because rent arrears and nuisance do not wait for the weekend.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from services.aftercare.domain.errors import (
    InvalidDateError,
    InvalidSignalError,
    SignalAlreadyAcknowledgedError,
)


class SignalKind(StrEnum):
    """What the corporation saw."""

    RENT_ARREARS = "rent_arrears"  # huurachterstand, at least one month's rent owed
    NUISANCE = "nuisance"  # overlast
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class Signal:
    """One signal; open until a supporter acknowledges it."""

    signal_id: str
    kind: SignalKind
    raised_at: datetime
    escalates_at: datetime
    months_owed: int | None = None
    description: str = ""
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    escalated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.signal_id:
            raise InvalidSignalError("a signal needs an id")
        _require_aware(self.raised_at)
        _check_months_owed(self.kind, self.months_owed)

    @property
    def is_open(self) -> bool:
        """Not yet picked up by a supporter."""
        return self.acknowledged_at is None

    def is_escalated(self, now: datetime) -> bool:
        """Open and past its escalation moment, whether or not the alert went out yet."""
        return self.is_open and (self.escalated_at is not None or now >= self.escalates_at)

    def is_due_for_escalation(self, now: datetime) -> bool:
        """Open, past its escalation moment, and not yet sent to the coordinator."""
        return self.is_open and self.escalated_at is None and now >= self.escalates_at

    def acknowledged(self, by: str, now: datetime) -> "Signal":
        """This signal, picked up by supporter ``by`` at ``now``."""
        if not self.is_open:
            raise SignalAlreadyAcknowledgedError(f"signal {self.signal_id} is already picked up")
        _require_aware(now)
        if now < self.raised_at:
            raise InvalidDateError("a signal cannot be picked up before it was raised")
        return replace(self, acknowledged_at=now, acknowledged_by=by)

    def escalated(self, now: datetime) -> "Signal":
        """This signal, marked as sent to the coordinator at ``now``."""
        return replace(self, escalated_at=now)


def new_signal(
    *,
    signal_id: str,
    kind: SignalKind,
    raised_at: datetime,
    escalation_days: int,
    months_owed: int | None = None,
    description: str = "",
) -> Signal:
    """A fresh, open signal that escalates ``escalation_days`` after ``raised_at``."""
    return Signal(
        signal_id=signal_id,
        kind=kind,
        raised_at=raised_at,
        escalates_at=raised_at + timedelta(days=escalation_days),
        months_owed=months_owed,
        description=description,
    )


def _check_months_owed(kind: SignalKind, months_owed: int | None) -> None:
    if kind is SignalKind.RENT_ARREARS:
        if months_owed is None or months_owed < 1:
            raise InvalidSignalError("rent arrears need months_owed of at least 1")
    elif months_owed is not None:
        raise InvalidSignalError("months_owed only applies to rent arrears")


def _require_aware(moment: datetime) -> None:
    # Comparing naive and aware datetimes fails at runtime; refuse naive ones at the door.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidDateError("moments must be timezone-aware")
