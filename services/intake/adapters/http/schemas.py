"""The intake API's request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.events.common import (
    Accessibility,
    ClusterPreference,
    Household,
    Money,
    Municipality,
    Risk,
    Urgency,
)


class ClientIn(BaseModel):
    """Personal data: stays in the intake service."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    date_of_birth: date
    bsn: str | None = Field(default=None, description="optional; validated by the 11-check")
    client_number: str = Field(
        min_length=1, max_length=60,
        description="the member organisation's own stable client number (used when no BSN)",
    )
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)


class IntakeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client: ClientIn
    household: Household
    required_bedrooms: int | None = Field(default=None, ge=1, le=8)
    monthly_income: Money
    max_rent: Money | None = None
    accessibility_needs: list[Accessibility] = Field(default_factory=list)
    preferred_municipalities: list[Municipality] = Field(default_factory=list)
    excluded_municipalities: list[Municipality] = Field(default_factory=list)
    cluster_preference: ClusterPreference = "no_preference"
    support_hours_per_week: int = Field(default=0, ge=0, le=40)
    risks: list[Risk] = Field(default_factory=list)
    urgency: Urgency = "normal"
    ready_from: date
    consent: bool = Field(description="the client's recorded consent; required")
    notes: str | None = Field(default=None, max_length=5000)
    submit: bool = Field(default=True, description="false keeps it as a draft")


class IntakeOut(BaseModel):
    case_id: UUID
    member_id: str
    status: Literal["draft", "submitted", "proposed", "housed", "closed", "withdrawn"]
    client_ref: str
    submitted_at: datetime | None
    profile: dict[str, object]
    client: dict[str, object] | None = None  # personal data: only for the own caseworker
