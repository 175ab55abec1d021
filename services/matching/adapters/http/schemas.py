"""The matching API's request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.common import Accessibility, Contract, DeclineReason, Money, Municipality

MAX_RENT = Decimal("2500.00")


class HomeIn(BaseModel):
    """A home a corporation offers into the contingent (the corporation comes from the token).
    `rent` is the monthly kale huur in euros."""

    model_config = ConfigDict(extra="forbid")
    municipality: Municipality
    postcode4: str = Field(pattern=r"^[1-9][0-9]{3}$", description="four-digit postcode area")
    bedrooms: int = Field(ge=0, le=8, description="0 for a studio")
    rent: Money = Field(gt=0, le=MAX_RENT, description="monthly kale huur in euros")
    accessibility: list[Accessibility] = Field(default_factory=list)
    near_support_point: bool = False
    contract: Contract = Contract(type="own_name")
    available_from: date
    contingent_year: int = Field(ge=2000, le=2100)

    @model_validator(mode="after")
    def _contract_terms(self) -> HomeIn:
        c = self.contract
        if c.type == "intermediary" and c.omklap_after_months is None:
            raise ValueError("an intermediary contract needs omklap_after_months: the months "
                             "after which it converts to the tenant's own name")
        if c.type == "temporary" and c.term_months is None:
            raise ValueError("a temporary contract needs term_months: its term in months")
        if c.type != "intermediary" and c.omklap_after_months is not None:
            raise ValueError("only an intermediary contract has omklap_after_months")
        if c.type != "temporary" and c.term_months is not None:
            raise ValueError("only a temporary contract has term_months")
        return self


class HomeOut(BaseModel):
    home_id: UUID
    corporation_id: str
    status: str
    contingent_year: int
    offered_at: datetime
    offer: dict[str, Any]


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: DeclineReason
    note: str | None = Field(default=None, max_length=2000,
                             description="required for reason 'other'; never leaves matching")

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
    declined_by: str | None = None
    cancel_reason: str | None = None
    client_response: str | None = None
    tenancy: dict[str, Any] | None = None
    decline_note: str | None = Field(
        default=None, description="shown only to the corporation that wrote it")


class HandoverRiskOut(BaseModel):
    category: str
    mitigation: str


class HandoverOut(BaseModel):
    """The warm handover (warme overdracht): non-identifying fields only."""

    match_id: UUID
    household: str
    adults: int
    children: int
    support_hours_per_week: int
    member_organisation: str
    risks: list[HandoverRiskOut]
    cluster_preference: str
    setting: str
    accessibility: list[str]
    home_fit: list[str]
    text: str


class ProposalExplanationOut(BaseModel):
    match_id: UUID
    status: str
    member_id: str
    proposed_at: datetime
    explanation: dict[str, Any]


class ExplanationOut(BaseModel):
    home_id: UUID
    status: str
    contingent_year: int
    proposals: list[ProposalExplanationOut]
