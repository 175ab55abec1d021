"""Open an intake: a new client file, kept as a draft or submitted to matching at once.

Rules decided here, in the domain's words:
- the member organisation and the caseworker come from the token, never from the form;
- every field is validated and every problem is reported at once (`IntakeInvalid`), including
  what the agreed event contract cannot carry;
- `client_ref` is the keyed HMAC of the BSN, or else of the member's own client number, so a
  returning client is recognised without a name on Kafka;
- one open case per client: a second intake is refused (`DuplicateIntake`, naming the open
  case). The store decides as it adds the case (`IntakeRepository.add`), so two simultaneous
  intakes for one client cannot both pass, and the usual intake asks nothing beforehand;
- submitted at once, it publishes `IntakeSubmitted` with the case, in the same write (the
  store's `add`: one statement, so the route needs no transaction around it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from services.intake.application.access import Actor, ensure_caseworker
from services.intake.application.context import IntakeContext
from services.intake.application.integration_events import contract_problems, intake_submitted
from services.intake.application.ports import UnitOfWork
from services.intake.domain.bsn import is_valid_bsn
from services.intake.domain.details import IntakeDetails
from services.intake.domain.duplicates import ensure_no_open_case
from services.intake.domain.errors import FieldError, IntakeInvalid
from services.intake.domain.intake import Intake
from services.intake.domain.pseudonym import client_ref


@dataclass(frozen=True)
class NewIntake:
    details: IntakeDetails
    client_number: str  # the member organisation's own stable client number
    submit: bool = True
    input_errors: Sequence[FieldError] = ()  # problems the form itself found


def pseudonym_for(key: bytes, details: IntakeDetails, member_id: str, client_number: str) -> str:
    """The client's `client_ref`; an invalid BSN is left out here because validation will
    refuse the intake anyway (and must be able to report every problem first)."""
    bsn = details.client.bsn if details.client.bsn and is_valid_bsn(details.client.bsn) else None
    return client_ref(key, bsn, f"{member_id}:{client_number.strip() or '-'}")


# How often an intake stopped by an open case that has ended by the time it is looked up is
# tried again: once is what that takes; more means something keeps reopening the client.
_ATTEMPTS = 3


async def open_intake(
    uow: UnitOfWork, ctx: IntakeContext, actor: Actor, new: NewIntake
) -> Intake:
    ensure_caseworker(actor)
    now = ctx.now()
    ref = pseudonym_for(ctx.pseudonym_key, new.details, actor.org, new.client_number)
    extra = [*new.input_errors, *contract_problems(new.details)]
    try:
        intake = Intake.open(
            case_id=str(uuid.uuid4()), client_ref=ref, member_id=actor.org,
            caseworker_id=actor.sub, details=new.details, rules=ctx.rules, now=now,
        )
    except IntakeInvalid as invalid:
        raise IntakeInvalid([*invalid.errors, *extra]) from None
    if extra:
        raise IntakeInvalid(extra)
    submitted = None
    if new.submit:
        intake.submit(now)
        submitted = intake_submitted(intake)
    for _ in range(_ATTEMPTS):
        if await uow.intakes.add(intake, new.client_number.strip(), submitted=submitted):
            break
        open_case = await uow.intakes.open_case_of(ref)
        ensure_no_open_case(ref, [open_case] if open_case else [])
        # the open case ended (withdrawn, closed) the moment after it stopped this one
    else:
        raise RuntimeError("the client's open case kept changing; the intake was not stored")
    return intake
