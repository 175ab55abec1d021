"""A proposal together with the home and the candidate it holds.

Each step of a match changes up to three things at once; :class:`Match` keeps them
consistent so that the application layer persists the returned triple in one transaction:

==========================  ===============  ==================  =====================
step                        proposal         home                candidate
==========================  ===============  ==================  =====================
:func:`propose`             proposed         offered → proposed  waiting → proposed
accept                      accepted         proposed            proposed
decline (corporation)       declined         proposed → offered  proposed → waiting
client accepts              (recorded)       unchanged           unchanged
client declines             declined         proposed → offered  proposed → waiting
expire_if_due (when due)    expired          proposed → offered  proposed → waiting
start_tenancy               tenancy_started  proposed → let      proposed → housed
==========================  ===============  ==================  =====================

Withdrawals live in :mod:`.withdrawal`. After a decline or expiry the home is ``offered``
again and the application selects the next candidate, passing
:func:`~.proposal.excluded_case_ids` so the same client is not proposed for it again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from .candidate import Candidate
from .deadlines import DEFAULT_DECISION_WORKING_DAYS, WorkingCalendar, decision_deadline
from .decline_reasons import DeclineReason
from .errors import InconsistentMatch
from .home import Home
from .proposal import ClientAnswer, MatchProposal, ProposalStatus


@dataclass(frozen=True, slots=True)
class Match:
    """A proposal with its home and candidate. Every step returns a new :class:`Match`."""

    proposal: MatchProposal
    home: Home
    candidate: Candidate

    def __post_init__(self) -> None:
        if self.proposal.home_id != self.home.home_id:
            raise InconsistentMatch("The proposal does not belong to this home.")
        if self.proposal.case_id != self.candidate.case_id:
            raise InconsistentMatch("The proposal does not belong to this candidate.")
        if self.proposal.corporation_id != self.home.corporation_id:
            raise InconsistentMatch("The proposal names another corporation than the home.")

    def _released(self, proposal: MatchProposal) -> Match:
        """The proposal ended without a tenancy: home and candidate wait again."""
        return Match(proposal, self.home.release(), self.candidate.release())

    def accept(self, now: datetime) -> Match:
        """The corporation accepts; home and candidate stay held until the tenancy."""
        return dataclasses.replace(self, proposal=self.proposal.accept(now))

    def decline(self, reason: DeclineReason, now: datetime, note: str | None = None) -> Match:
        """The corporation declines; the home goes to the next candidate."""
        return self._released(self.proposal.decline(reason, now, note))

    def record_client_response(
        self, answer: ClientAnswer, now: datetime, note: str | None = None
    ) -> Match:
        """The caseworker records the client's answer (a "no" declines the proposal)."""
        proposal = self.proposal.record_client_response(answer, now, note)
        if proposal.status is ProposalStatus.DECLINED:
            return self._released(proposal)
        return dataclasses.replace(self, proposal=proposal)

    def expire_if_due(self, now: datetime) -> Match:
        """Expire an undecided proposal at or after its deadline; otherwise no change."""
        proposal = self.proposal.expire_if_due(now)
        if proposal is self.proposal:
            return self
        return self._released(proposal)

    def start_tenancy(
        self, signed_on: date, starts_on: date, now: datetime,
        *, future_signing_allowed: bool = False,
    ) -> Match:
        """Record the tenancy with the home's contract; the home is let, the client housed."""
        proposal = self.proposal.start_tenancy(
            signed_on, starts_on, self.home.contract, now,
            future_signing_allowed=future_signing_allowed,
        )
        return Match(proposal, self.home.mark_let(), self.candidate.mark_housed())


def propose(
    match_id: str,
    home: Home,
    candidate: Candidate,
    now: datetime,
    *,
    working_days: int = DEFAULT_DECISION_WORKING_DAYS,
    calendar: WorkingCalendar | None = None,
) -> Match:
    """Propose the home to the candidate; the corporation's deadline is ``working_days`` Dutch
    working days later (see :func:`~.deadlines.decision_deadline`).

    The home must be ``offered`` and the candidate ``waiting``. The caller proposes the
    candidate :func:`~.selection.select_candidate` returned; this function does not re-run
    the eligibility rules.
    """
    held_home = home.mark_proposed()
    held_candidate = candidate.mark_proposed()
    proposal = MatchProposal(
        match_id=match_id,
        home_id=home.home_id,
        case_id=candidate.case_id,
        client_ref=candidate.client_ref,
        member_id=candidate.member_id,
        corporation_id=home.corporation_id,
        proposed_at=now,
        deadline=decision_deadline(now, working_days, calendar),
    )
    return Match(proposal, held_home, held_candidate)
