"""The Intake aggregate ↔ its row in `intake.intakes` (JSON documents for the nested parts).

Personal data goes into the `personal` column (NULL once erased) and the notes into `notes`,
so an erasure is visible at a glance in the table; the rest of the form is `details`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from services.intake.application.integration_events import profile_document
from services.intake.domain.client import Contact, PersonalData
from services.intake.domain.details import (
    AccessibilityNeed,
    ClusterPreference,
    IntakeDetails,
    Perspective,
    SupportNeed,
    Urgency,
)
from services.intake.domain.household import Household
from services.intake.domain.intake import (
    ClientAnswer,
    ClientDeclineReason,
    Intake,
    IntakeStatus,
    Proposal,
    ProposalOutcome,
    StatusChange,
    WithdrawalReason,
)
from services.intake.domain.risks import Risk, RiskCategory

Doc = dict[str, Any]


def _iso(moment: datetime | date | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


# ---- personal data -------------------------------------------------------------------------


def personal_document(client: PersonalData) -> Doc:
    return {
        "name": client.name,
        "date_of_birth": _iso(client.date_of_birth),
        "bsn": client.bsn,
        "contact": {
            "phone": client.contact.phone,
            "email": client.contact.email,
            "address": client.contact.address,
        },
    }


def personal_from(doc: Doc | None) -> PersonalData:
    if doc is None:
        return PersonalData.erased()
    contact = doc.get("contact") or {}
    return PersonalData(
        name=doc["name"],
        date_of_birth=_day(doc.get("date_of_birth")),
        bsn=doc.get("bsn"),
        contact=Contact(
            phone=contact.get("phone"), email=contact.get("email"),
            address=contact.get("address"),
        ),
    )


# ---- the rest of the form ------------------------------------------------------------------


def details_document(details: IntakeDetails) -> Doc:
    household = details.household
    return {
        "household": {
            "adults": household.adults,
            "children": household.children,
            "children_ages": list(household.children_ages),
            "bedrooms_override": household.bedrooms_override,
        },
        "monthly_income_cents": details.monthly_income_cents,
        "max_rent_override_cents": details.max_rent_override_cents,
        "ready_to_move_on": _iso(details.ready_to_move_on),
        "consent_given_on": _iso(details.consent_given_on),
        "urgency": str(details.urgency),
        "accessibility": sorted(str(need) for need in details.accessibility),
        "preferred_municipalities": list(details.preferred_municipalities),
        "excluded_municipalities": list(details.excluded_municipalities),
        "cluster_preference": str(details.cluster_preference),
        "perspective": str(details.perspective),
        "support": {
            "hours_per_week": details.support.hours_per_week,
            "provider": details.support.provider,
        },
        "risks": [
            {"category": str(r.category), "mitigation": r.mitigation, "carried_by": r.carried_by}
            for r in details.risks
        ],
    }


def details_from(doc: Doc, client: PersonalData, notes: str) -> IntakeDetails:
    household = doc["household"]
    return IntakeDetails(
        client=client,
        household=Household(
            adults=household["adults"],
            children=household["children"],
            children_ages=tuple(household.get("children_ages") or ()),
            bedrooms_override=household.get("bedrooms_override"),
        ),
        monthly_income_cents=doc["monthly_income_cents"],
        max_rent_override_cents=doc.get("max_rent_override_cents"),
        ready_to_move_on=date.fromisoformat(doc["ready_to_move_on"]),
        consent_given_on=_day(doc.get("consent_given_on")),
        urgency=Urgency(doc["urgency"]),
        accessibility=frozenset(AccessibilityNeed(a) for a in doc.get("accessibility", ())),
        preferred_municipalities=tuple(doc.get("preferred_municipalities", ())),
        excluded_municipalities=tuple(doc.get("excluded_municipalities", ())),
        cluster_preference=ClusterPreference(doc["cluster_preference"]),
        perspective=Perspective(doc["perspective"]),
        support=SupportNeed(doc["support"]["hours_per_week"], doc["support"].get("provider")),
        risks=tuple(
            Risk(RiskCategory(r["category"]), r["mitigation"], r["carried_by"])
            for r in doc.get("risks", ())
        ),
        notes=notes,
    )


# ---- proposals and history -----------------------------------------------------------------


def proposal_document(proposal: Proposal) -> Doc:
    answer = proposal.client_answer
    return {
        "match_id": proposal.match_id,
        "proposed_at": _iso(proposal.proposed_at),
        "outcome": None if proposal.outcome is None else str(proposal.outcome),
        "ended_at": _iso(proposal.ended_at),
        "client_answer": None if answer is None else {
            "accepted": answer.accepted,
            "at": _iso(answer.at),
            "reason": None if answer.reason is None else str(answer.reason),
            "note": answer.note,
        },
    }


def proposal_from(doc: Doc) -> Proposal:
    answer = doc.get("client_answer")
    proposed_at = _moment(doc["proposed_at"])
    assert proposed_at is not None
    return Proposal(
        match_id=doc["match_id"],
        proposed_at=proposed_at,
        outcome=None if doc.get("outcome") is None else ProposalOutcome(doc["outcome"]),
        ended_at=_moment(doc.get("ended_at")),
        client_answer=None if answer is None else ClientAnswer(
            accepted=answer["accepted"],
            at=datetime.fromisoformat(answer["at"]),
            reason=None if answer.get("reason") is None else ClientDeclineReason(answer["reason"]),
            note=answer.get("note", ""),
        ),
    )


def history_document(change: StatusChange) -> Doc:
    return {"from": str(change.from_status), "to": str(change.to_status), "at": _iso(change.at)}


def history_from(doc: Doc) -> StatusChange:
    return StatusChange(
        IntakeStatus(doc["from"]), IntakeStatus(doc["to"]), datetime.fromisoformat(doc["at"])
    )


# ---- the whole row -------------------------------------------------------------------------


def row_values(intake: Intake) -> Doc:
    """Column values for the aggregate's current state (everything but the client number)."""
    erased = intake.personal_data_erased_at is not None
    return {
        "case_id": UUID(intake.case_id),
        "member_id": intake.member_id,
        "caseworker": intake.caseworker_id,
        "status": str(intake.status),
        "client_ref": intake.client_ref,
        "personal": None if erased else personal_document(intake.details.client),
        "profile": profile_document(intake.matching_view()),
        "details": details_document(intake.details),
        "notes": intake.details.notes or None,
        "required_bedrooms": intake.required_bedrooms,
        "max_affordable_rent_cents": intake.max_affordable_rent_cents,
        "proposals": [proposal_document(p) for p in intake.proposals],
        "history": [history_document(h) for h in intake.history],
        "created_at": intake.opened_at,
        "submitted_at": intake.submitted_at,
        "tenancy_start": intake.tenancy_start,
        "closed_at": intake.ended_at if intake.status is IntakeStatus.CLOSED else None,
        "ended_at": intake.ended_at,
        "withdrawal_reason": (
            None if intake.withdrawal_reason is None else str(intake.withdrawal_reason)
        ),
        "erased_at": intake.personal_data_erased_at,
        "updated_at": sa.func.now(),
    }


def intake_from(row: Any) -> Intake:
    return Intake(
        case_id=str(row.case_id),
        client_ref=row.client_ref,
        member_id=row.member_id,
        caseworker_id=row.caseworker,
        details=details_from(row.details, personal_from(row.personal), row.notes or ""),
        required_bedrooms=row.required_bedrooms,
        max_affordable_rent_cents=row.max_affordable_rent_cents,
        opened_at=row.created_at,
        status=IntakeStatus(row.status),
        submitted_at=row.submitted_at,
        tenancy_start=row.tenancy_start,
        ended_at=row.ended_at,
        withdrawal_reason=(
            None if row.withdrawal_reason is None else WithdrawalReason(row.withdrawal_reason)
        ),
        personal_data_erased_at=row.erased_at,
        proposals=[proposal_from(p) for p in row.proposals],
        history=[history_from(h) for h in row.history],
    )
