"""The aftercare API's request and response bodies.

What a role sees is decided when a response is built (routes.py): the supporting
organisation sees its check-ins' scores, actions and notes and a signal's description; the
coordinator sees dates, statuses and pseudonymous references only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

LifeDomainName = Literal[
    "rent_and_money", "debts", "daily_living", "health", "social_network", "neighbourhood"
]
Score = Annotated[StrictInt, Field(ge=1, le=5, description="ZRM: 1 acute … 5 self-reliant")]
Action = Annotated[str, Field(min_length=1, max_length=500)]
OutcomeName = Literal[
    "stable", "moved_on", "returned_to_shelter", "evicted", "deceased", "lost_contact"
]
SignalKindName = Literal["rent_arrears", "nuisance", "other"]
CheckInStatusName = Literal["stable", "attention", "crisis"]


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: date = Field(
        validation_alias=AliasChoices("held_on", "date"),
        description="the day of the contact (`date` is accepted too)",
    )
    status: CheckInStatusName
    scores: dict[LifeDomainName, Score] = Field(
        default_factory=dict, description="life domains scored at this contact (any subset)")
    agreed_actions: list[Action] = Field(default_factory=list, max_length=30)
    private_notes: str = Field(
        default="", max_length=10_000,
        description="the supporter's own notes; they never leave the aftercare service")


class SignalIn(BaseModel):
    """Vroegsignalering. Name the tenancy by its home or by the aftercare trajectory."""

    model_config = ConfigDict(extra="forbid")
    kind: SignalKindName
    months_owed: int | None = Field(
        default=None, ge=1, le=120, validate_default=True,
        description="rent arrears only: months of rent owed")
    home_id: UUID | None = None
    trajectory_id: UUID | None = None
    description: str = Field(
        default="", max_length=2_000,
        description="for the supporter; stays in the aftercare service")

    @field_validator("months_owed")
    @classmethod
    def _months_owed_for_rent_arrears_only(
        cls, months_owed: int | None, info: ValidationInfo
    ) -> int | None:
        kind = info.data.get("kind")
        if kind == "rent_arrears" and months_owed is None:
            raise ValueError("rent arrears need months_owed (at least 1)")
        if kind not in (None, "rent_arrears") and months_owed is not None:
            raise ValueError("months_owed only applies to rent arrears")
        return months_owed

    @model_validator(mode="after")
    def _one_reference(self) -> SignalIn:
        if (self.home_id is None) == (self.trajectory_id is None):
            raise ValueError("name the tenancy by exactly one of home_id and trajectory_id")
        return self


class CompletionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: OutcomeName


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    months: int = Field(ge=1, le=24)
    reason: str = Field(min_length=1, max_length=2_000, pattern=r"\S",
                        description="why aftercare continues; stays in the aftercare service")


class TrajectoryOut(BaseModel):
    trajectory_id: UUID
    case_id: UUID
    client_ref: str
    member_id: str
    corporation_id: str
    home_id: UUID
    tenancy_start: date
    ends_on: date
    status: Literal["open", "extended", "completed"]
    outcome: OutcomeName | None
    attention: str = Field(description="why it sits where it does in the werklijst")
    next_due_on: date | None
    overdue_checkins: int
    open_signals: int
    last_checkin_status: CheckInStatusName | None


class DueCheckInOut(BaseModel):
    month: int
    due_on: date
    overdue_from: date
    status: Literal["pending", "fulfilled", "missed", "cancelled"]
    overdue: bool
    fulfilled_on: date | None


class CheckInOut(BaseModel):
    checkin_id: UUID
    held_on: date
    status: CheckInStatusName
    fulfils_month: int | None
    scores: dict[str, int] | None = None  # the supporting organisation only
    agreed_actions: list[str] | None = None
    private_notes: str | None = None


class SignalOut(BaseModel):
    signal_id: UUID
    trajectory_id: UUID
    home_id: UUID
    member_id: str
    corporation_id: str
    kind: SignalKindName
    months_owed: int | None
    raised_at: datetime
    escalates_at: datetime
    status: Literal["open", "escalated", "picked_up"]
    picked_up: bool
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    description: str | None = None  # the supporter and the corporation that raised it


class ExtensionOut(BaseModel):
    months: int
    granted_on: date
    reason: str | None = None  # the supporting organisation only


class TrajectoryDetailOut(TrajectoryOut):
    contract: str
    schedule: list[DueCheckInOut]
    checkins: list[CheckInOut]
    signals: list[SignalOut]
    extensions: list[ExtensionOut]
    completed_on: date | None
    duration_days: int | None
    conversion_due_on: date | None


class CohortOut(BaseModel):
    cohort_year: int
    housed: int
    returned_within_12_months: int
    returned_within_24_months: int
    rate_within_12_months: float
    rate_within_24_months: float
    final_12_months: bool = Field(description="false: the cohort is still being followed")
    final_24_months: bool


class ReturnsOut(BaseModel):
    as_of: date
    member_id: str | None
    cohorts: list[CohortOut]
