"""What every intake use case is given: the region's rules, the pseudonym key, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from services.intake.domain.details import IntakeRules
from shared.clock import Clock

# The domain reads "today" from `now`: in the Netherlands' time zone, because just after
# midnight UTC is still on the previous day.
NETHERLANDS = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class IntakeContext:
    rules: IntakeRules
    clock: Clock
    pseudonym_key: bytes = field(repr=False)
    retention_months: int = 24

    def now(self) -> datetime:
        """Business time, in Dutch local time."""
        return self.clock.now().astimezone(NETHERLANDS)
