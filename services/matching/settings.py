"""The region's matching settings, read from the environment (`TRANSFERPUNT_MATCHING_*`).

They become the application's `MatchingRules` (eligibility policy, decision period, working
calendar) and the e-mail settings. An inconsistent policy stops the service at start-up
instead of proposing homes by wrong rules.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.matching.application.rules import MatchingRules
from services.matching.domain.affordability_policy import (
    PASSEND_TOEWIJZEN_2026,
    AffordabilityPolicy,
    passend_toewijzen,
)
from services.matching.domain.deadlines import LiberationDay, WorkingCalendar
from services.matching.domain.eligibility import EligibilityPolicy


class PassendToewijzenFigures(BaseModel):
    """One year's four passend-toewijzen figures (JSON in the environment), e.g.
    `{"year": 2027, "income_limit_one_person": "33500", ...}`."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2020, le=2100)
    income_limit_one_person: Decimal = Field(gt=0)
    income_limit_multi_person: Decimal = Field(gt=0)
    lage_aftoppingsgrens: Decimal = Field(gt=0)
    hoge_aftoppingsgrens: Decimal = Field(gt=0)

    def policy(self) -> AffordabilityPolicy:
        return passend_toewijzen(
            name=f"passend toewijzen {self.year}",
            income_limit_one_person=self.income_limit_one_person,
            income_limit_multi_person=self.income_limit_multi_person,
            lage_aftoppingsgrens=self.lage_aftoppingsgrens,
            hoge_aftoppingsgrens=self.hoge_aftoppingsgrens,
        )


class MatchingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRANSFERPUNT_MATCHING_", extra="ignore")

    # --- the region's rules ---------------------------------------------------------------
    # The year's official figures; unset: the shipped indicative PASSEND_TOEWIJZEN_2026.
    passend_toewijzen: PassendToewijzenFigures | None = None
    months_per_year: Decimal = Field(default=Decimal(12), gt=0)  # 12.96 counts holiday pay
    max_surplus_bedrooms: int | None = Field(default=None, ge=0)
    readiness_grace_days: int = Field(default=0, ge=0, le=365)
    decision_working_days: int = Field(default=5, ge=1, le=30)
    liberation_day_every_year: bool = False
    extra_closed_days: tuple[date, ...] = ()
    # A tenancy recorded with a signing date after today's business date. Allowed by default
    # so a corporation can record a signing it has scheduled; set false to refuse it.
    future_signing_allowed: bool = False

    # --- periodic jobs (wall-clock seconds) -----------------------------------------------
    job_seconds: float = Field(default=5.0, gt=0)  # expiry, reminders, e-mail
    revisit_seconds: float = Field(default=60.0, gt=0)  # waiting homes, gauges
    rerequest_after_hours: float = Field(default=24.0, gt=0)  # business time

    # --- e-mail (SMTP); no host: no e-mail is queued or sent -------------------------------
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "transferpunt@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    # Where an organisation's e-mail goes: its own address, else `<org>@<notify_domain>`.
    notify_addresses: dict[str, str] = Field(default_factory=dict)
    notify_domain: str | None = None
    time_zone: str = "Europe/Amsterdam"  # how deadlines read in an e-mail

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    def address_of(self, org: str) -> str | None:
        if org in self.notify_addresses:
            return self.notify_addresses[org]
        return f"{org}@{self.notify_domain}" if self.notify_domain else None

    def rules(self) -> MatchingRules:
        """The region's rules for the domain; raises InvalidPolicy when they do not fit."""
        table = self.passend_toewijzen.policy() if self.passend_toewijzen else \
            PASSEND_TOEWIJZEN_2026
        if self.months_per_year != table.months_per_year:
            table = AffordabilityPolicy(table.name, table.rows, self.months_per_year)
        return MatchingRules(
            eligibility=EligibilityPolicy(
                affordability=table,
                max_surplus_bedrooms=self.max_surplus_bedrooms,
                readiness_grace_days=self.readiness_grace_days,
            ),
            decision_working_days=self.decision_working_days,
            calendar=WorkingCalendar(
                liberation_day=LiberationDay.EVERY_YEAR if self.liberation_day_every_year
                else LiberationDay.LUSTRUM_ONLY,
                extra_closed_days=frozenset(self.extra_closed_days),
            ),
            future_signing_allowed=self.future_signing_allowed,
        )
