"""The intake API's other request bodies and its responses (the forms are in `forms.py`).

Answers without personal data are what every write returns and what the coordinator sees;
`client` and `file` are filled only for the own organisation's caseworker.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from services.intake.adapters.http.forms import Form, Text
from services.intake.domain.intake import (
    ClientDeclineReason,
    Intake,
    Proposal,
    WithdrawalReason,
)

# Answers give every moment in UTC, however the domain was handed its `now`.
Utc = Annotated[datetime, AfterValidator(lambda moment: moment.astimezone(UTC))]


class WithdrawIn(Form):
    reason: WithdrawalReason


class ClientResponseIn(Form):
    response: Literal["accept", "decline"]
    match_id: str | None = Field(default=None, max_length=100,
                                 description="default: the current proposal")
    reason: ClientDeclineReason | None = Field(default=None, description="required to decline")
    note: Text = Field(default="", description="the caseworker's note; stays in intake")


# ---- responses -------------------------------------------------------------------------------


class ClientOut(BaseModel):
    """Personal data: only for the own organisation's caseworker, each read logged."""

    name: str
    date_of_birth: date | None
    bsn: str | None
    client_number: str | None
    phone: str | None
    email: str | None
    address: str | None


class RiskOut(BaseModel):
    category: str
    mitigation: str
    carried_by: str


class FileOut(BaseModel):
    """The rest of the client file that stays inside intake (own caseworker only)."""

    caseworker: str
    children_ages: list[int]
    perspective: str
    support_provider: str | None
    risks: list[RiskOut]
    consent_given_on: date | None
    notes: str


class ProposalOut(BaseModel):
    match_id: str
    proposed_at: Utc
    outcome: str | None
    ended_at: Utc | None
    client_answer: Literal["accepted", "declined"] | None
    client_answered_at: Utc | None
    decline_reason: str | None
    client_note: str | None = None  # own caseworker only


class StatusChangeOut(BaseModel):
    from_status: str
    to_status: str
    at: Utc


class IntakeOut(BaseModel):
    case_id: UUID
    member_id: str
    status: Literal["draft", "submitted", "proposed", "housed", "closed", "withdrawn"]
    client_ref: str
    opened_at: Utc
    submitted_at: Utc | None
    tenancy_start: date | None
    ended_at: Utc | None
    withdrawal_reason: str | None
    personal_data_erased_at: Utc | None
    profile: dict[str, object]  # what matching knows (pseudonymous)
    current_match_id: str | None
    proposals: list[ProposalOut]
    history: list[StatusChangeOut]
    client: ClientOut | None = None  # personal data: only for the own caseworker
    file: FileOut | None = None  # ditto

    @classmethod
    def of(
        cls, intake: Intake, profile: dict[str, object], *, personal: bool = False,
        client_number: str | None = None,
    ) -> IntakeOut:
        current = intake.current_proposal
        return cls(
            case_id=UUID(intake.case_id), member_id=intake.member_id,
            status=intake.status.value, client_ref=intake.client_ref,
            opened_at=intake.opened_at, submitted_at=intake.submitted_at,
            tenancy_start=intake.tenancy_start, ended_at=intake.ended_at,
            withdrawal_reason=None if intake.withdrawal_reason is None
            else str(intake.withdrawal_reason),
            personal_data_erased_at=intake.personal_data_erased_at,
            profile=profile,
            current_match_id=None if current is None else current.match_id,
            proposals=[_proposal(p, personal) for p in intake.proposals],
            history=[StatusChangeOut(from_status=str(h.from_status), to_status=str(h.to_status),
                                     at=h.at) for h in intake.history],
            client=_client(intake, client_number) if personal else None,
            file=_file(intake) if personal else None,
        )


class IntakeUpdatedOut(IntakeOut):
    changed_matching_fields: list[str]


class AccessEntryOut(BaseModel):
    read_at: Utc
    reader: str
    role: str
    org: str
    case_id: UUID
    member_id: str
    reason: str


def _client(intake: Intake, client_number: str | None) -> ClientOut:
    client = intake.details.client
    return ClientOut(
        name=client.name, date_of_birth=client.date_of_birth, bsn=client.bsn,
        client_number=client_number, phone=client.contact.phone, email=client.contact.email,
        address=client.contact.address,
    )


def _file(intake: Intake) -> FileOut:
    details = intake.details
    return FileOut(
        caseworker=intake.caseworker_id,
        children_ages=list(details.household.children_ages),
        perspective=str(details.perspective),
        support_provider=details.support.provider,
        risks=[RiskOut(category=str(r.category), mitigation=r.mitigation,
                       carried_by=r.carried_by) for r in details.risks],
        consent_given_on=details.consent_given_on,
        notes=details.notes,
    )


def _proposal(proposal: Proposal, personal: bool) -> ProposalOut:
    answer = proposal.client_answer
    return ProposalOut(
        match_id=proposal.match_id, proposed_at=proposal.proposed_at,
        outcome=None if proposal.outcome is None else str(proposal.outcome),
        ended_at=proposal.ended_at,
        client_answer=None if answer is None else ("accepted" if answer.accepted else "declined"),
        client_answered_at=None if answer is None else answer.at,
        decline_reason=None if answer is None or answer.reason is None else str(answer.reason),
        client_note=(answer.note or None) if personal and answer is not None else None,
    )
