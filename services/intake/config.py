"""The intake service's own parameters, read from the environment (`TRANSFERPUNT_INTAKE_*`).

The shared `ServiceSettings` carry what every service needs (database, broker, keys); this
adds what only the intake decides: the region whose municipalities a client may choose, the
year's passend-toewijzen rent table, and the retention period (bewaartermijn).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.intake.domain.affordability import RENT_LIMITS_2025, RentLimits
from services.intake.domain.details import IntakeRules
from services.intake.domain.region import TWENTE, U16, Region
from services.intake.domain.retention import DEFAULT_RETENTION_MONTHS

REGIONS: dict[str, Region] = {"U16": U16, "TWENTE": TWENTE}


class IntakeConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRANSFERPUNT_INTAKE_", extra="ignore")

    region: Literal["U16", "TWENTE"] = "U16"
    # The rent table (euro cents a month); the government sets new figures every 1 January.
    rent_year: int = RENT_LIMITS_2025.year
    rent_low_cap_cents: int = RENT_LIMITS_2025.low_cap_cents
    rent_high_cap_cents: int = RENT_LIMITS_2025.high_cap_cents
    social_rent_ceiling_cents: int = RENT_LIMITS_2025.social_rent_ceiling_cents
    # Personal data is erased this many months after the case ended (closed or withdrawn).
    retention_months: int = Field(default=DEFAULT_RETENTION_MONTHS, ge=0, le=240)
    # How often the running service erases what is due (0: only the `retention` command).
    retention_interval_seconds: float = Field(default=3600.0, ge=0)
    # How often the waiting-intakes gauge is recounted from the database.
    waiting_gauge_seconds: float = Field(default=10.0, gt=0)

    def rules(self) -> IntakeRules:
        """The region's parameters; a misordered rent table fails here, at start-up."""
        limits = RentLimits(
            year=self.rent_year,
            low_cap_cents=self.rent_low_cap_cents,
            high_cap_cents=self.rent_high_cap_cents,
            social_rent_ceiling_cents=self.social_rent_ceiling_cents,
        )
        return IntakeRules(region=REGIONS[self.region], rent_limits=limits)
