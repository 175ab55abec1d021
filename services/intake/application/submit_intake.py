"""Submit an intake (or keep it as a draft).

Business rules decided here: the client's consent is required; the member organisation and
caseworker come from the token, never from the body; a client with an open case cannot be
submitted again (the caseworker is pointed at the open case); only the pseudonymous matching
profile goes onto Kafka.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.adapters.db.tables import intakes
from services.intake.adapters.http.schemas import IntakeIn
from shared.auth import Principal
from shared.clock import Clock
from shared.events.intake import IntakeSubmitted, MatchingProfile
from shared.outbox import Outbox
from shared.web import Problem

OPEN_STATUSES = ("draft", "submitted", "proposed", "housed")


def client_ref(key: bytes, *, bsn: str | None, member_id: str, client_number: str) -> str:
    """Keyed HMAC: a returning client is recognised without a name or BSN on Kafka, and the
    small BSN space cannot be brute-forced without the key."""
    subject = f"bsn:{bsn}" if bsn else f"client:{member_id}:{client_number}"
    return "cr_" + hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()[:32]


def default_max_rent(body: IntakeIn) -> Decimal:
    """Skeleton rule until the domain core's passend-toewijzen table is wired in."""
    return (body.monthly_income * Decimal("0.30")).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Submitted:
    case_id: uuid.UUID
    client_ref: str
    status: str


async def submit_intake(
    session: AsyncSession, outbox: Outbox, clock: Clock, pseudonym_key: bytes,
    principal: Principal, body: IntakeIn,
) -> Submitted:
    if not body.consent:
        raise Problem(422, "the client's consent is required before an intake can be made",
                      "consent")
    ref = client_ref(pseudonym_key, bsn=body.client.bsn, member_id=principal.org,
                     client_number=body.client.client_number)
    open_case = (await session.execute(
        sa.select(intakes.c.case_id).where(
            intakes.c.client_ref == ref, intakes.c.status.in_(OPEN_STATUSES)
        ).with_for_update()
    )).scalar()
    if open_case is not None:
        raise Problem(409, f"this client already has an open case: {open_case}")
    now = clock.now()
    bedrooms = body.required_bedrooms or 1 + (body.household.children + 1) // 2
    profile = MatchingProfile(
        household=body.household,
        required_bedrooms=bedrooms,
        monthly_income=body.monthly_income,
        max_rent=body.max_rent if body.max_rent is not None else default_max_rent(body),
        accessibility_needs=body.accessibility_needs,
        preferred_municipalities=body.preferred_municipalities,
        excluded_municipalities=body.excluded_municipalities,
        cluster_preference=body.cluster_preference,
        support_hours_per_week=body.support_hours_per_week,
        risks=body.risks,
        urgency=body.urgency,
        ready_from=body.ready_from,
    )
    case_id = uuid.uuid4()
    status = "submitted" if body.submit else "draft"
    await session.execute(sa.insert(intakes).values(
        case_id=case_id, member_id=principal.org, caseworker=principal.sub, status=status,
        client_ref=ref, personal=body.client.model_dump(mode="json"),
        profile=profile.model_dump(mode="json"), details={}, notes=body.notes,
        created_at=now, submitted_at=now if body.submit else None, updated_at=now,
    ))
    if body.submit:
        await outbox.add(session, IntakeSubmitted(
            client_ref=ref, member_id=principal.org, profile=profile, consent=True,
        ), case_id=case_id, occurred_at=now)
    return Submitted(case_id=case_id, client_ref=ref, status=status)
