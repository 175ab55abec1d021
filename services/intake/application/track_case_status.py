"""Keep the case's status current from matching's and aftercare's events (the caseworker's
view of where the client stands).

- `MatchProposed` → proposed: a home is proposed for the client.
- `MatchDeclined` (by the corporation), `MatchExpired`, `MatchCancelled` (home withdrawn) →
  back to waiting, keeping the original waiting time. A decline that matching recorded as the
  client's is the client's "no".
- `TenancyStarted` → housed; `AftercareCompleted` → closed, and the retention period starts.
  Also for a withdrawn case: the withdrawal and the signed lease crossed on their way (the
  corporation recorded it before matching heard of the withdrawal), and the lease is a fact.

Events about a proposal that has already ended here (the caseworker recorded the client's
"no" first; the intake was withdrawn while matching proposed) are stale and change nothing.
A tenancy or the end of aftercare that the case cannot take is an inconsistency a person must
look at: it is raised, so the consumer retries and then dead-letters it with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from services.intake.application.ports import UnitOfWork
from services.intake.domain.errors import TransitionNotAllowed
from services.intake.domain.intake import ClientDeclineReason, Intake, ProposalOutcome

log = logging.getLogger(__name__)


async def _apply(
    uow: UnitOfWork, case_id: str, what: str, step: Callable[[Intake], None], *,
    stale_is_harmless: bool,
) -> bool:
    intake = await uow.intakes.get(case_id, for_update=True)
    if intake is None:
        log.warning("intake: %s for a case this service does not hold (%s); ignored",
                    what, case_id)
        return False
    try:
        step(intake)
    except TransitionNotAllowed as refused:
        if not stale_is_harmless:
            raise
        log.info("intake: stale %s for case %s ignored: %s", what, case_id, refused)
        return False
    await uow.intakes.save(intake)
    return True


async def record_proposal(uow: UnitOfWork, case_id: str, match_id: str, at: datetime) -> bool:
    return await _apply(uow, case_id, "proposal",
                        lambda intake: intake.propose(match_id, at), stale_is_harmless=True)


async def end_proposal(
    uow: UnitOfWork, case_id: str, match_id: str, outcome: ProposalOutcome, at: datetime
) -> bool:
    """The proposal ended without a tenancy; the client waits again."""
    return await _apply(uow, case_id, f"proposal end ({outcome})",
                        lambda intake: intake.return_to_waiting(match_id, outcome, at),
                        stale_is_harmless=True)


async def record_client_decline(
    uow: UnitOfWork, case_id: str, match_id: str, at: datetime
) -> bool:
    """Matching recorded the client's "no" (e.g. told to the corporation directly)."""
    return await _apply(
        uow, case_id, "client decline",
        lambda intake: intake.client_declines(match_id, ClientDeclineReason.OTHER, at),
        stale_is_harmless=True,
    )


async def record_tenancy(
    uow: UnitOfWork, case_id: str, match_id: str, start: date, at: datetime
) -> bool:
    return await _apply(uow, case_id, "tenancy start",
                        lambda intake: intake.mark_housed(match_id, start, at),
                        stale_is_harmless=False)


async def close_case(uow: UnitOfWork, case_id: str, at: datetime) -> bool:
    return await _apply(uow, case_id, "end of aftercare", lambda intake: intake.close(at),
                        stale_is_harmless=False)
