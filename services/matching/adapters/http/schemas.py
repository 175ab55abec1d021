"""The matching API's request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.common import Accessibility, Contract, DeclineReason, Money, Municipality


class HomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    municipality: Municipality
    postcode4: str = Field(pattern=r"^[1-9][0-9]{3}$", description="four-digit postcode")
    bedrooms: int = Field(ge=0, le=8)
    rent: Money = Field(le=2500)
    accessibility: list[Accessibility] = Field(default_factory=list)
    near_support_point: bool = False
    contract: Contract = Contract(type="own_name")
    available_from: date
    contingent_year: int = Field(ge=2000, le=2100)

    @model_validator(mode="after")
    def _contract_terms(self) -> HomeIn:
        if self.contract.type == "intermediary" and self.contract.omklap_after_months is None:
            raise ValueError("an intermediary contract needs omklap_after_months")
        if self.contract.type == "temporary" and self.contract.term_months is None:
            raise ValueError("a temporary contract needs term_months")
        return self


class HomeOut(BaseModel):
    home_id: UUID
    corporation_id: str
    status: str
    contingent_year: int
    offer: dict[str, object]


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: DeclineReason
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _other_needs_note(self) -> DeclineIn:
        if self.reason == "other" and not (self.note and self.note.strip()):
            raise ValueError("a decline for reason 'other' needs a note saying why")
        return self


class TenancyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signed_on: date
    start_date: date


class MatchOut(BaseModel):
    match_id: UUID
    home_id: UUID
    case_id: UUID
    member_id: str
    corporation_id: str
    status: str
    proposed_at: datetime
    deadline: datetime
    decided_at: datetime | None
    decline_reason: str | None
