"""Withdrawals: a corporation takes a home back, or a caseworker withdraws an intake.

"A withdrawn intake or a home withdrawn before tenancy releases what it held" (DESIGN):

* :func:`withdraw_home` — allowed while the home is ``offered`` or ``proposed`` (also after the
  corporation accepted, as long as no tenancy started). Raises :class:`HomeAlreadyLet` for a
  let home and :class:`HomeAlreadyWithdrawn` when done before. An open proposal is
  **cancelled** (reason ``home_withdrawn``) and its client goes back to ``waiting``.
* :func:`withdraw_intake` — allowed while the candidate is ``waiting`` or ``proposed``. Raises
  :class:`CandidateAlreadyHoused` after the tenancy started and
  :class:`CandidateAlreadyWithdrawn` when done before. An open proposal is **cancelled**
  (reason ``intake_withdrawn``) and its home goes back to ``offered``, waiting for the next
  candidate.

A cancelled proposal is not a decline: it does not count against the client for that home.
When the thing being withdrawn is held by an open proposal, the caller must pass that
proposal as ``open_match``; leaving it out raises :class:`InconsistentMatch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .candidate import Candidate, CandidateStatus
from .errors import InconsistentMatch
from .home import Home, HomeStatus
from .match import Match
from .proposal import CancelReason, MatchProposal


@dataclass(frozen=True, slots=True)
class HomeWithdrawal:
    """The withdrawn home, and the proposal and client it released (if it held any)."""

    home: Home
    cancelled_proposal: MatchProposal | None = None
    released_candidate: Candidate | None = None


@dataclass(frozen=True, slots=True)
class IntakeWithdrawal:
    """The withdrawn candidate, and the proposal and home it released (if it held any)."""

    candidate: Candidate
    cancelled_proposal: MatchProposal | None = None
    released_home: Home | None = None


def withdraw_home(home: Home, now: datetime, open_match: Match | None = None) -> HomeWithdrawal:
    """The corporation withdraws the home before a tenancy."""
    withdrawn = home.withdraw(now)  # raises for a let or already withdrawn home
    if open_match is None:
        if home.status is HomeStatus.PROPOSED:
            raise InconsistentMatch(
                "The home is held by an open proposal; pass it to withdraw the home."
            )
        return HomeWithdrawal(withdrawn)
    if open_match.home.home_id != home.home_id or not open_match.proposal.is_open:
        raise InconsistentMatch("The match passed is not the home's open proposal.")
    return HomeWithdrawal(
        home=withdrawn,
        cancelled_proposal=open_match.proposal.cancel(CancelReason.HOME_WITHDRAWN, now),
        released_candidate=open_match.candidate.release(),
    )


def withdraw_intake(
    candidate: Candidate, now: datetime, open_match: Match | None = None
) -> IntakeWithdrawal:
    """The caseworker withdraws the intake; an open proposal is cancelled."""
    withdrawn = candidate.withdraw(now)  # raises for a housed or already withdrawn intake
    if open_match is None:
        if candidate.status is CandidateStatus.PROPOSED:
            raise InconsistentMatch(
                "The client is held by an open proposal; pass it to withdraw the intake."
            )
        return IntakeWithdrawal(withdrawn)
    if open_match.candidate.case_id != candidate.case_id or not open_match.proposal.is_open:
        raise InconsistentMatch("The match passed is not the client's open proposal.")
    return IntakeWithdrawal(
        candidate=withdrawn,
        cancelled_proposal=open_match.proposal.cancel(CancelReason.INTAKE_WITHDRAWN, now),
        released_home=open_match.home.release(),
    )
