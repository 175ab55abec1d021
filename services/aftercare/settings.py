"""The region's aftercare settings, read from the environment (`TRANSFERPUNT_AFTERCARE_*`).

Regions differ in how long ambulante nazorg lasts and how closely it is watched; the numbers
become the domain's `AftercarePolicy`, which each new trajectory keeps for its whole life.
An inconsistent policy stops the service at start-up instead of opening wrong schedules.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.aftercare.domain.policy import DEFAULT_CHECKIN_MONTHS, AftercarePolicy


class AftercareSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRANSFERPUNT_AFTERCARE_", extra="ignore")

    length_months: int = 12
    checkin_months: tuple[int, ...] = DEFAULT_CHECKIN_MONTHS  # JSON in the environment
    grace_days: int = 14
    early_days: int = 7
    escalation_days: int = 5
    extension_checkin_interval_months: int = 3
    # How often the overdue and escalation sweeps look (wall-clock seconds).
    sweep_seconds: float = Field(default=60.0, gt=0)
    # Business dates (a check-in's day, an intake's day) are the region's calendar days.
    time_zone: str = "Europe/Amsterdam"

    def policy(self) -> AftercarePolicy:
        """The domain policy; raises InvalidPolicyError when the numbers do not fit."""
        return AftercarePolicy(
            length_months=self.length_months,
            checkin_months=tuple(self.checkin_months),
            grace_days=self.grace_days,
            early_days=self.early_days,
            escalation_days=self.escalation_days,
            extension_checkin_interval_months=self.extension_checkin_interval_months,
        )

    def business_date(self, moment: datetime) -> date:
        """The region's calendar day of a business-time moment."""
        return moment.astimezone(ZoneInfo(self.time_zone)).date()
