"""The region's matching rules, as the use cases need them (built from settings at start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.matching.domain.deadlines import WorkingCalendar
from services.matching.domain.eligibility import EligibilityPolicy


@dataclass(frozen=True)
class MatchingRules:
    eligibility: EligibilityPolicy
    decision_working_days: int = 5
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    future_signing_allowed: bool = True
