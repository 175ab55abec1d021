"""Withdrawing a home or an intake releases what it held."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from matching_builders import POLICY, ams, make_candidate, make_home

from services.matching.domain.candidate import CandidateStatus
from services.matching.domain.errors import (
    CandidateAlreadyHoused,
    CandidateAlreadyWithdrawn,
    HomeAlreadyLet,
    HomeAlreadyWithdrawn,
    InconsistentMatch,
    ProposalAlreadyDecided,
)
from services.matching.domain.home import HomeStatus
from services.matching.domain.match import Match, propose
from services.matching.domain.proposal import CancelReason, ProposalStatus, excluded_case_ids
from services.matching.domain.selection import select_candidate
from services.matching.domain.withdrawal import withdraw_home, withdraw_intake

NOW = ams(2026, 3, 2, 10)
LATER = NOW + timedelta(days=1)


def a_match() -> Match:
    return propose("match-1", make_home(), make_candidate(), NOW)


# --- a corporation withdraws a home -------------------------------------------------------


def test_withdrawing_an_offered_home_marks_it_withdrawn() -> None:
    result = withdraw_home(make_home(), LATER)
    assert result.home.status is HomeStatus.WITHDRAWN
    assert result.home.withdrawn_at == LATER
    assert result.cancelled_proposal is None
    assert result.released_candidate is None


def test_withdrawing_a_proposed_home_cancels_the_proposal_and_the_client_waits_again() -> None:
    match = a_match()
    result = withdraw_home(match.home, LATER, match)
    assert result.home.status is HomeStatus.WITHDRAWN
    assert result.cancelled_proposal is not None
    assert result.cancelled_proposal.status is ProposalStatus.CANCELLED
    assert result.cancelled_proposal.cancel_reason is CancelReason.HOME_WITHDRAWN
    assert result.released_candidate is not None
    assert result.released_candidate.status is CandidateStatus.WAITING


def test_a_home_can_be_withdrawn_after_acceptance_as_long_as_no_tenancy_started() -> None:
    accepted = a_match().accept(LATER)
    result = withdraw_home(accepted.home, LATER, accepted)
    assert result.home.status is HomeStatus.WITHDRAWN
    assert result.cancelled_proposal is not None
    assert result.cancelled_proposal.status is ProposalStatus.CANCELLED


def test_a_let_home_cannot_be_withdrawn() -> None:
    started = a_match().accept(LATER).start_tenancy(date(2026, 3, 3), date(2026, 3, 4), LATER)
    with pytest.raises(HomeAlreadyLet):
        withdraw_home(started.home, LATER)


def test_withdrawing_a_home_twice_is_refused() -> None:
    withdrawn = withdraw_home(make_home(), LATER).home
    with pytest.raises(HomeAlreadyWithdrawn):
        withdraw_home(withdrawn, LATER)


def test_a_proposed_home_cannot_be_withdrawn_without_cancelling_its_proposal() -> None:
    match = a_match()
    with pytest.raises(InconsistentMatch):
        withdraw_home(match.home, LATER)
    other = propose("match-2", make_home(home_id="home-2"), make_candidate(case_id="c2"), NOW)
    with pytest.raises(InconsistentMatch):
        withdraw_home(match.home, LATER, other)


# --- a caseworker withdraws an intake -----------------------------------------------------


def test_withdrawing_a_waiting_intake_marks_the_client_withdrawn() -> None:
    result = withdraw_intake(make_candidate(), LATER)
    assert result.candidate.status is CandidateStatus.WITHDRAWN
    assert result.candidate.withdrawn_at == LATER
    assert result.cancelled_proposal is None
    assert result.released_home is None


def test_intake_withdrawal_during_an_open_proposal_cancels_it_and_the_home_waits_again() -> None:
    match = a_match()
    result = withdraw_intake(match.candidate, LATER, match)
    assert result.candidate.status is CandidateStatus.WITHDRAWN
    assert result.cancelled_proposal is not None
    assert result.cancelled_proposal.status is ProposalStatus.CANCELLED
    assert result.cancelled_proposal.cancel_reason is CancelReason.INTAKE_WITHDRAWN
    assert result.cancelled_proposal.ended_at == LATER
    assert result.released_home is not None
    assert result.released_home.status is HomeStatus.OFFERED


def test_after_an_intake_withdrawal_the_next_candidate_is_selected_for_the_home() -> None:
    match = a_match()
    result = withdraw_intake(match.candidate, LATER, match)
    assert result.released_home is not None and result.cancelled_proposal is not None
    other = make_candidate(case_id="case-2", submitted_at=match.candidate.submitted_at)
    history = [result.cancelled_proposal]
    chosen = select_candidate(
        result.released_home, [result.candidate, other], "m01", POLICY, excluded_case_ids(history)
    )
    assert chosen == other


def test_a_cancelled_proposal_does_not_count_as_a_decline_for_that_home() -> None:
    match = a_match()
    cancelled = withdraw_home(match.home, LATER, match).cancelled_proposal
    assert cancelled is not None
    assert excluded_case_ids([cancelled]) == frozenset()


def test_intake_withdrawal_after_acceptance_also_cancels_the_proposal() -> None:
    accepted = a_match().accept(LATER)
    result = withdraw_intake(accepted.candidate, LATER, accepted)
    assert result.cancelled_proposal is not None
    assert result.cancelled_proposal.status is ProposalStatus.CANCELLED
    assert result.released_home is not None
    assert result.released_home.status is HomeStatus.OFFERED


def test_a_housed_clients_intake_withdrawal_releases_nothing_and_is_refused() -> None:
    started = a_match().accept(LATER).start_tenancy(date(2026, 3, 3), date(2026, 3, 4), LATER)
    with pytest.raises(CandidateAlreadyHoused):
        withdraw_intake(started.candidate, LATER)


def test_withdrawing_an_intake_twice_is_refused() -> None:
    withdrawn = withdraw_intake(make_candidate(), LATER).candidate
    with pytest.raises(CandidateAlreadyWithdrawn):
        withdraw_intake(withdrawn, LATER)


def test_a_proposed_client_cannot_be_withdrawn_without_cancelling_the_proposal() -> None:
    match = a_match()
    with pytest.raises(InconsistentMatch):
        withdraw_intake(match.candidate, LATER)


def test_a_closed_proposal_cannot_be_cancelled() -> None:
    expired = a_match().expire_if_due(NOW + timedelta(days=30)).proposal
    with pytest.raises(ProposalAlreadyDecided):
        expired.cancel(CancelReason.INTAKE_WITHDRAWN, LATER)


def test_a_withdrawal_cancels_even_a_proposal_past_its_deadline_not_yet_expired() -> None:
    match = a_match()
    late = NOW + timedelta(days=30)
    result = withdraw_intake(match.candidate, late, match)
    assert result.cancelled_proposal is not None
    assert result.cancelled_proposal.status is ProposalStatus.CANCELLED
