"""Value types several services' events share (the agreed vocabulary on the wire)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MemberId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
OrgId = MemberId
ClientRef = Annotated[str, Field(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_]+$")]
Municipality = Annotated[str, Field(min_length=1, max_length=60)]
Money = Annotated[Decimal, Field(ge=0, max_digits=9, decimal_places=2)]

Accessibility = Literal["ground_floor", "lift", "wheelchair", "other"]
ClusterPreference = Literal["cluster", "scattered", "no_preference"]
Urgency = Literal["low", "normal", "high", "urgent"]
RiskCategory = Literal["debts", "addiction", "nuisance_history", "psychiatric", "other"]
DeclineReason = Literal[
    "client_unreachable", "home_unsuitable", "risk_not_mitigated", "client_declined", "other"
]
Outcome = Literal[
    "stable", "moved_on", "returned_to_shelter", "evicted", "deceased", "lost_contact"
]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Household(Frozen):
    adults: int = Field(ge=1, le=10)
    children: int = Field(ge=0, le=15)


class Risk(Frozen):
    """A risk mapped before a home is sought, with the agreed mitigation (a precondition, not
    a note about the person)."""

    category: RiskCategory
    mitigation: str = Field(min_length=1, max_length=1000)


class Contract(Frozen):
    """Tenancy contract: on the tenant's own name, intermediary with omklap (conversion to
    the tenant's own name) after N months, or temporary with a term."""

    type: Literal["own_name", "intermediary", "temporary"]
    omklap_after_months: int | None = Field(default=None, ge=1, le=60)
    term_months: int | None = Field(default=None, ge=1, le=120)
