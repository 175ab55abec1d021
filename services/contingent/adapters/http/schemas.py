"""The contingent's payloads (DESIGN.md fixes their shape so independent tools can use them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Method = Literal["sainte_lague", "dhondt", "hamilton", "huntington_hill"]


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)


class MemberOut(BaseModel):
    member_id: str
    name: str
    active: bool


class MemberNeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member_id: str = Field(min_length=1, max_length=40)
    need: int = Field(ge=0, description="declared need: homes this member's clients need")


class ContingentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    total_homes: int = Field(ge=0, le=100_000)
    method: Method = "sainte_lague"
    min_per_member: int = Field(default=0, ge=0)
    cap_at_need: bool = False
    members: list[MemberNeed] = Field(min_length=1)

    @field_validator("members")
    @classmethod
    def _unique(cls, members: list[MemberNeed]) -> list[MemberNeed]:
        seen: set[str] = set()
        for m in members:
            if m.member_id in seen:
                raise ValueError(f"member {m.member_id} is listed twice")
            seen.add(m.member_id)
        return members


class ShareOut(BaseModel):
    member_id: str
    need: int
    share: int
    used: int
    remaining: int
    ideal_to_date: float
    deviation: float
    allocated: int = Field(description="homes proposed to this member's clients, not yet let")


class ContingentOut(BaseModel):
    year: int
    total_homes: int
    method: Method
    min_per_member: int
    cap_at_need: bool
    status: Literal["open", "closed"]
    homes_allocated: int
    ties: list[dict[str, object]]
    shares: list[ShareOut]


class NextMemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    eligible_members: list[str]
