"""The contingent's HTTP payloads.

`ContingentIn` and the `shares` lines of `ContingentOut` keep the shape DESIGN.md fixes
("The contingent's payloads"); every other field is an extension a client may ignore.
Numbers a coordinator types are checked here with messages that say what to change, and never
echo the submitted value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

Method = Literal["sainte_lague", "dhondt", "hamilton", "huntington_hill"]
LedgerKind = Literal["allocated", "released", "consumed"]
MemberId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
# A four-digit calendar year from 2000: catches typos such as 207 or 20277.
Year = Annotated[int, Field(ge=2000, le=9999)]


def whole_number(value: Any, what: str) -> int:
    """A count of homes: an integer of 0 or more (not 2.5, not "3", not true)."""
    if isinstance(value, bool) or not isinstance(value, int):
        kind = "a decimal number" if isinstance(value, float) else type(value).__name__
        raise ValueError(f"{what} must be a whole number of homes, 0 or more (got {kind})")
    if value < 0:
        raise ValueError(f"{what} cannot be negative; use 0 or more")
    return value


# --- Members ---------------------------------------------------------------------------------


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member_id: MemberId
    name: str = Field(min_length=1, max_length=200)


class MemberRename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class MemberOut(BaseModel):
    member_id: str
    name: str
    active: bool
    created_at: datetime
    deactivated_at: datetime | None = None


# --- Setting a year --------------------------------------------------------------------------


class MemberNeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member_id: MemberId
    need: int = Field(description="declared need: homes this member's clients need this year")

    @field_validator("need", mode="before")
    @classmethod
    def _need(cls, value: Any) -> int:
        return whole_number(value, "need")


class PledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    corporation_id: MemberId
    homes: int

    @field_validator("homes", mode="before")
    @classmethod
    def _homes(cls, value: Any) -> int:
        return whole_number(value, "homes")


def _once(members: list[MemberNeed]) -> list[MemberNeed]:
    seen: set[str] = set()
    for m in members:
        if m.member_id in seen:
            raise ValueError(f"member {m.member_id} is listed twice; list each member once")
        seen.add(m.member_id)
    return members


class ContingentIn(BaseModel):
    """The fixed payload of DESIGN.md, plus two optional extensions: `pledges` (homes per
    corporation, adding up to the total) and `carry_over_from` (a closed earlier year)."""

    model_config = ConfigDict(extra="forbid")
    total_homes: int = Field(description="homes in the year's contingent")
    method: Method = "sainte_lague"
    min_per_member: int = 0
    cap_at_need: bool = False
    members: list[MemberNeed] = Field(min_length=1, max_length=500)
    pledges: list[PledgeIn] | None = Field(default=None, max_length=200)
    carry_over_from: Year | None = None

    @field_validator("total_homes", mode="before")
    @classmethod
    def _total(cls, value: Any) -> int:
        total = whole_number(value, "total_homes")
        if total > 1_000_000:
            raise ValueError("total_homes is implausibly large; use at most 1,000,000")
        return total

    @field_validator("min_per_member", mode="before")
    @classmethod
    def _minimum(cls, value: Any) -> int:
        return whole_number(value, "min_per_member")

    @field_validator("members")
    @classmethod
    def _unique(cls, members: list[MemberNeed]) -> list[MemberNeed]:
        return _once(members)


# --- The coordinator's view ------------------------------------------------------------------


class ShareOut(BaseModel):
    member_id: str
    need: int = Field(description="effective need: declared plus carried over")
    share: int
    used: int = Field(description="homes let to the member's clients (tenancies started)")
    remaining: int = Field(description="share minus used minus in flight")
    ideal_to_date: float = Field(description="t·share/H, t = homes used or in flight so far")
    deviation: float = Field(description="used + in flight − ideal_to_date; negative: behind")
    allocated: int = Field(description="homes proposed to the member's clients, not yet let")
    in_flight: int = Field(description="the same as allocated")
    consumed: int
    active: bool
    declared_need: int
    carried_over: int


class TieOut(BaseModel):
    members: list[str]
    homes: int
    winners: list[str]
    losers: list[str]
    value: str


class PledgeOut(BaseModel):
    corporation_id: str
    homes: int
    delivered: int = Field(description="homes of this corporation let so far")


class TotalsOut(BaseModel):
    need: int
    share: int
    used: int
    in_flight: int
    remaining: int


class WarningsOut(BaseModel):
    exhausted: list[str]
    without_share: list[str]
    nearly_used: bool
    used_homes: int
    total_homes: int
    used_fraction: float
    threshold: float


class BalanceOut(BaseModel):
    member_id: str
    need: int
    share: int
    used: int = Field(description="homes let, plus homes in flight counted as used at close")
    balance: int = Field(description="share − used")
    unused: int = Field(description="share not received; added to next year's need on "
                                    "carry-over")
    overrun: int = Field(description="homes received beyond the share")


class ClosedOut(BaseModel):
    closed_at: datetime
    in_flight_counted_as_used: list[str]
    balances: list[BalanceOut]


class ContingentOut(BaseModel):
    year: int
    total_homes: int
    method: Method
    min_per_member: int
    cap_at_need: bool
    status: Literal["open", "closed"]
    homes_allocated: int = Field(description="homes used or in flight, all members")
    unallocated: int = Field(description="homes no member can take (cap at need)")
    carried_over_from: int | None
    pledges: list[PledgeOut]
    ties: list[TieOut]
    totals: TotalsOut
    warnings: WarningsOut
    closed: ClosedOut | None
    shares: list[ShareOut]


class YearOut(BaseModel):
    year: int
    status: Literal["open", "closed"]
    total_homes: int
    method: str


# --- Redistribution, close, carry-over -------------------------------------------------------


class RedistributeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    needs: list[MemberNeed] | None = Field(
        default=None, max_length=500,
        description="updated declared needs first; a registered member new to the year joins")
    note: str = Field(default="", max_length=500, description="why (kept in the record)")

    @field_validator("needs")
    @classmethod
    def _unique(cls, needs: list[MemberNeed] | None) -> list[MemberNeed] | None:
        return None if needs is None else _once(needs)


class RedistributionLine(BaseModel):
    member_id: str
    unmet_need: int
    share_before: int
    share_after: int


class RedistributionOut(BaseModel):
    year: int
    occurred_at: datetime
    after_entry: int | None = Field(
        default=None, description="ledger entries that preceded it (its pool follows from them)")
    pool: int
    unallocated: int
    note: str
    ties: list[TieOut]
    shares: list[RedistributionLine]


class RedistributeOut(BaseModel):
    redistribution: RedistributionOut
    contingent: ContingentOut


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count_in_flight_as_used: bool = False


class CarryOverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_year: Year


class DeactivationOut(BaseModel):
    member: MemberOut
    redistributions: list[RedistributionOut]


# --- Ledger and explanations -----------------------------------------------------------------


class LedgerEntryOut(BaseModel):
    entry_id: int
    sequence: int
    year: int
    home_id: UUID
    member_id: str
    kind: LedgerKind
    note: str
    event_id: UUID
    event_type: str | None
    round: int | None
    corporation_id: str | None
    occurred_at: datetime


class StandingOut(BaseModel):
    member_id: str
    share: int
    received: int
    ideal_to_date: float
    ideal_to_date_exact: str
    deviation: float
    deviation_exact: str
    allowed: bool = Field(description="the quota rule allowed it this home")
    eligible: bool = Field(description="it had an eligible candidate for this home")
    priority: str = Field(description="(received + 1) / share: smallest goes first")


class DecisionOut(BaseModel):
    member_id: str | None
    home_number: int
    skipped: bool
    beyond_contingent: bool
    exceeds_share: bool
    reason: str
    eligible_members: list[str]
    not_considered: list[str] = Field(
        description="eligible ids without a share in the year, or that left")
    considered: list[StandingOut]


class StoredDecisionOut(DecisionOut):
    round: int
    decided_at: datetime
    event_id: UUID | None
    released_from: str | None


class HoldingOut(BaseModel):
    member_id: str
    status: Literal["allocated", "consumed"]


class ExplanationOut(BaseModel):
    year: int
    home_id: UUID
    holding: HoldingOut | None
    decisions: list[StoredDecisionOut]


class NextMemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    eligible_members: list[MemberId] = Field(max_length=500)
