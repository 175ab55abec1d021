"""The proposal state machine and the Match triple (proposal + home + candidate)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from matching_builders import POLICY, ams, make_candidate, make_home

from services.matching.domain.candidate import CandidateStatus
from services.matching.domain.decline_reasons import (
    DECLINE_REASON_DESCRIPTIONS,
    DecidedBy,
    DeclineReason,
)
from services.matching.domain.errors import (
    CandidateNotWaiting,
    ConflictError,
    DeclineNoteRequired,
    HomeNotOffered,
    InconsistentMatch,
    InvalidInput,
    InvalidTenancyDates,
    ProposalAlreadyDecided,
    ProposalExpired,
    ProposalNotAccepted,
)
from services.matching.domain.home import Contract, ContractKind, HomeStatus, add_months
from services.matching.domain.match import Match, propose
from services.matching.domain.proposal import (
    ClientAnswer,
    MatchProposal,
    ProposalStatus,
    excluded_case_ids,
)
from services.matching.domain.selection import select_candidate

PROPOSED_AT = ams(2026, 3, 2, 10)  # Monday
DEADLINE = ams(2026, 3, 9, 10)  # Monday after: 5 working days
BEFORE_DEADLINE = DEADLINE - timedelta(minutes=1)


def a_match(**home_changes: object) -> Match:
    return propose("match-1", make_home(**home_changes), make_candidate(), PROPOSED_AT)


# --- proposing ----------------------------------------------------------------------------


def test_proposing_holds_home_and_candidate_and_sets_a_five_working_day_deadline() -> None:
    match = a_match()
    assert match.proposal.status is ProposalStatus.PROPOSED
    assert match.proposal.deadline == DEADLINE
    assert match.home.status is HomeStatus.PROPOSED
    assert match.candidate.status is CandidateStatus.PROPOSED
    assert (match.proposal.member_id, match.proposal.client_ref) == ("m01", "ref-a1b2c3")
    assert match.proposal.corporation_id == "corp-1"


def test_decision_period_can_be_set_per_region() -> None:
    match = propose("m", make_home(), make_candidate(), PROPOSED_AT, working_days=10)
    assert match.proposal.deadline == ams(2026, 3, 16, 10)


def test_a_home_that_is_not_offered_cannot_be_proposed() -> None:
    with pytest.raises(HomeNotOffered):
        propose("m", make_home(status=HomeStatus.PROPOSED), make_candidate(), PROPOSED_AT)
    with pytest.raises(HomeNotOffered):
        propose("m", make_home(status=HomeStatus.LET), make_candidate(), PROPOSED_AT)


def test_a_client_already_in_an_open_proposal_cannot_be_proposed_again() -> None:
    busy = make_candidate(status=CandidateStatus.PROPOSED)
    with pytest.raises(CandidateNotWaiting):
        propose("m", make_home(), busy, PROPOSED_AT)


def test_a_proposal_deadline_must_lie_after_the_proposal() -> None:
    proposal = a_match().proposal
    with pytest.raises(InvalidInput):
        dataclasses.replace(proposal, deadline=PROPOSED_AT)


def test_a_match_refuses_a_home_or_candidate_it_does_not_belong_to() -> None:
    match = a_match()
    with pytest.raises(InconsistentMatch):
        Match(match.proposal, make_home(home_id="other"), match.candidate)
    with pytest.raises(InconsistentMatch):
        Match(match.proposal, match.home, make_candidate(case_id="other"))
    with pytest.raises(InconsistentMatch):
        Match(match.proposal, make_home(corporation_id="other"), match.candidate)


# --- the corporation decides ----------------------------------------------------------------


def test_corporation_accepts_before_the_deadline_and_the_home_stays_held() -> None:
    accepted = a_match().accept(BEFORE_DEADLINE)
    assert accepted.proposal.status is ProposalStatus.ACCEPTED
    assert accepted.proposal.decided_at == BEFORE_DEADLINE
    assert accepted.proposal.ended_at is None
    assert accepted.home.status is HomeStatus.PROPOSED
    assert accepted.candidate.status is CandidateStatus.PROPOSED


def test_a_decision_at_the_very_deadline_is_too_late() -> None:
    with pytest.raises(ProposalExpired):
        a_match().accept(DEADLINE)
    with pytest.raises(ProposalExpired):
        a_match().decline(DeclineReason.HOME_UNSUITABLE, DEADLINE)


def test_deciding_twice_raises_already_decided() -> None:
    accepted = a_match().accept(BEFORE_DEADLINE)
    with pytest.raises(ProposalAlreadyDecided):
        accepted.accept(BEFORE_DEADLINE)
    with pytest.raises(ProposalAlreadyDecided):
        accepted.decline(DeclineReason.HOME_UNSUITABLE, BEFORE_DEADLINE)
    declined = a_match().decline(DeclineReason.HOME_UNSUITABLE, BEFORE_DEADLINE)
    with pytest.raises(ProposalAlreadyDecided):
        declined.proposal.accept(BEFORE_DEADLINE)


def test_a_decision_on_an_expired_proposal_raises_expired() -> None:
    expired = a_match().expire_if_due(DEADLINE).proposal
    with pytest.raises(ProposalExpired):
        expired.accept(PROPOSED_AT + timedelta(hours=1))
    with pytest.raises(ProposalExpired):
        expired.decline(DeclineReason.OTHER, PROPOSED_AT + timedelta(hours=1), note="late")


def test_state_errors_are_conflicts_and_bad_input_is_invalid_for_the_adapter() -> None:
    assert issubclass(ProposalExpired, ConflictError)
    assert issubclass(ProposalAlreadyDecided, ConflictError)
    assert issubclass(ProposalNotAccepted, ConflictError)
    assert issubclass(DeclineNoteRequired, InvalidInput)
    assert issubclass(InvalidTenancyDates, InvalidInput)
    assert ProposalExpired.code == "proposal_expired"


def test_corporation_decline_releases_home_and_client_with_the_coded_reason() -> None:
    declined = a_match().decline(DeclineReason.RISK_NOT_MITIGATED, BEFORE_DEADLINE)
    assert declined.proposal.status is ProposalStatus.DECLINED
    assert declined.proposal.decline_reason is DeclineReason.RISK_NOT_MITIGATED
    assert declined.proposal.declined_by is DecidedBy.CORPORATION
    assert declined.proposal.ended_at == BEFORE_DEADLINE
    assert declined.home.status is HomeStatus.OFFERED
    assert declined.candidate.status is CandidateStatus.WAITING


@pytest.mark.parametrize("note", [None, "", "   "])
def test_decline_with_reason_other_requires_a_note(note: str | None) -> None:
    match = a_match()
    with pytest.raises(DeclineNoteRequired):
        match.decline(DeclineReason.OTHER, BEFORE_DEADLINE, note=note)


def test_decline_note_is_kept_stripped_and_optional_for_coded_reasons() -> None:
    other = a_match().decline(DeclineReason.OTHER, BEFORE_DEADLINE, note="  renovation  ")
    assert other.proposal.decline_note == "renovation"
    coded = a_match().decline(DeclineReason.CLIENT_UNREACHABLE, BEFORE_DEADLINE)
    assert coded.proposal.decline_note is None


def test_decline_reasons_are_the_five_coded_values_each_described() -> None:
    assert [r.value for r in DeclineReason] == [
        "client_unreachable",
        "home_unsuitable",
        "risk_not_mitigated",
        "client_declined",
        "other",
    ]
    assert set(DECLINE_REASON_DESCRIPTIONS) == set(DeclineReason)


# --- expiry -------------------------------------------------------------------------------


def test_expire_if_due_changes_nothing_before_the_deadline() -> None:
    match = a_match()
    assert match.expire_if_due(BEFORE_DEADLINE) is match


def test_undecided_proposal_expires_at_its_deadline_and_releases_home_and_client() -> None:
    expired = a_match().expire_if_due(DEADLINE)
    assert expired.proposal.status is ProposalStatus.EXPIRED
    assert expired.proposal.ended_at == DEADLINE
    assert expired.home.status is HomeStatus.OFFERED
    assert expired.candidate.status is CandidateStatus.WAITING


def test_an_accepted_proposal_does_not_expire() -> None:
    accepted = a_match().accept(BEFORE_DEADLINE)
    assert accepted.expire_if_due(DEADLINE + timedelta(days=30)) is accepted


# --- the client's answer ------------------------------------------------------------------


def test_client_acceptance_is_recorded_and_the_corporation_still_decides() -> None:
    answered = a_match().record_client_response(ClientAnswer.ACCEPTED, PROPOSED_AT)
    assert answered.proposal.status is ProposalStatus.PROPOSED
    assert answered.proposal.client_response is not None
    assert answered.proposal.client_response.answer is ClientAnswer.ACCEPTED
    declined = answered.decline(DeclineReason.HOME_UNSUITABLE, BEFORE_DEADLINE)
    assert declined.proposal.status is ProposalStatus.DECLINED
    assert declined.proposal.declined_by is DecidedBy.CORPORATION


def test_recording_the_same_acceptance_twice_changes_nothing() -> None:
    once = a_match().record_client_response(ClientAnswer.ACCEPTED, PROPOSED_AT)
    twice = once.record_client_response(ClientAnswer.ACCEPTED, BEFORE_DEADLINE)
    assert twice.proposal == once.proposal


def test_client_decline_declines_the_proposal_with_reason_client_declined() -> None:
    declined = a_match().record_client_response(ClientAnswer.DECLINED, BEFORE_DEADLINE)
    assert declined.proposal.status is ProposalStatus.DECLINED
    assert declined.proposal.decline_reason is DeclineReason.CLIENT_DECLINED
    assert declined.proposal.declined_by is DecidedBy.CLIENT
    assert declined.home.status is HomeStatus.OFFERED
    assert declined.candidate.status is CandidateStatus.WAITING


def test_client_may_still_decline_after_the_corporation_accepted() -> None:
    accepted = a_match().accept(PROPOSED_AT + timedelta(days=1))
    declined = accepted.record_client_response(ClientAnswer.DECLINED, DEADLINE + timedelta(days=2))
    assert declined.proposal.status is ProposalStatus.DECLINED
    assert declined.proposal.decline_reason is DeclineReason.CLIENT_DECLINED
    assert declined.proposal.decided_at == PROPOSED_AT + timedelta(days=1)
    assert declined.home.status is HomeStatus.OFFERED


def test_client_answer_on_a_closed_or_late_proposal_is_refused() -> None:
    declined = a_match().decline(DeclineReason.HOME_UNSUITABLE, BEFORE_DEADLINE)
    with pytest.raises(ProposalAlreadyDecided):
        declined.proposal.record_client_response(ClientAnswer.ACCEPTED, BEFORE_DEADLINE)
    with pytest.raises(ProposalExpired):
        a_match().record_client_response(ClientAnswer.DECLINED, DEADLINE)


# --- tenancy ------------------------------------------------------------------------------


def accepted_match(contract: Contract | None = None) -> Match:
    home = make_home(contract=contract or Contract.own_name())
    return propose("match-1", home, make_candidate(), PROPOSED_AT).accept(BEFORE_DEADLINE)


def test_tenancy_start_lets_the_home_and_houses_the_client_with_the_homes_contract() -> None:
    started = accepted_match().start_tenancy(date(2026, 3, 20), date(2026, 4, 1), ams(2026, 3, 20))
    assert started.proposal.status is ProposalStatus.TENANCY_STARTED
    assert started.proposal.tenancy is not None
    assert started.proposal.tenancy.contract.kind is ContractKind.OWN_NAME
    assert started.proposal.tenancy.omklap_due_on is None
    assert started.home.status is HomeStatus.LET
    assert started.candidate.status is CandidateStatus.HOUSED


def test_an_intermediary_tenancy_carries_its_omklap_date() -> None:
    started = accepted_match(Contract.intermediary(omklap_after_months=12)).start_tenancy(
        date(2026, 3, 20), date(2026, 4, 1), ams(2026, 3, 20)
    )
    assert started.proposal.tenancy is not None
    assert started.proposal.tenancy.contract.omklap_after_months == 12
    assert started.proposal.tenancy.omklap_due_on == date(2027, 4, 1)


def test_a_temporary_tenancy_carries_its_end() -> None:
    started = accepted_match(Contract.temporary(term_months=24)).start_tenancy(
        date(2026, 3, 20), date(2026, 4, 1), ams(2026, 3, 20)
    )
    assert started.proposal.tenancy is not None
    assert started.proposal.tenancy.ends_on == date(2028, 4, 1)


def test_month_arithmetic_clamps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_tenancy_cannot_start_before_it_is_signed() -> None:
    with pytest.raises(InvalidTenancyDates):
        accepted_match().start_tenancy(date(2026, 3, 20), date(2026, 3, 19), ams(2026, 3, 20))


def test_tenancy_may_start_on_the_day_it_is_signed() -> None:
    started = accepted_match().start_tenancy(date(2026, 3, 20), date(2026, 3, 20), ams(2026, 3, 20))
    assert started.proposal.status is ProposalStatus.TENANCY_STARTED


def test_tenancy_cannot_be_signed_in_the_future() -> None:
    with pytest.raises(InvalidTenancyDates):
        accepted_match().start_tenancy(date(2026, 3, 21), date(2026, 4, 1), ams(2026, 3, 20, 23))


def test_region_may_let_a_corporation_record_a_signing_it_has_scheduled() -> None:
    started = accepted_match().start_tenancy(
        date(2026, 3, 27), date(2026, 4, 1), ams(2026, 3, 20), future_signing_allowed=True
    )
    assert started.proposal.tenancy is not None
    assert started.proposal.tenancy.signed_on == date(2026, 3, 27)
    with pytest.raises(InvalidTenancyDates):  # the start still may not precede the signing
        accepted_match().start_tenancy(
            date(2026, 3, 27), date(2026, 3, 26), ams(2026, 3, 20), future_signing_allowed=True
        )


def test_tenancy_needs_an_accepted_proposal_and_is_recorded_once() -> None:
    with pytest.raises(ProposalNotAccepted):
        a_match().start_tenancy(date(2026, 3, 3), date(2026, 3, 4), ams(2026, 3, 3))
    started = accepted_match().start_tenancy(date(2026, 3, 20), date(2026, 4, 1), ams(2026, 3, 20))
    with pytest.raises(ProposalAlreadyDecided):
        started.proposal.start_tenancy(
            date(2026, 3, 20), date(2026, 4, 1), Contract.own_name(), ams(2026, 3, 21)
        )


# --- moving on to the next candidate --------------------------------------------------------


def test_excluded_case_ids_holds_declined_and_expired_clients_only() -> None:
    declined = a_match().decline(DeclineReason.HOME_UNSUITABLE, BEFORE_DEADLINE).proposal
    expired = dataclasses.replace(
        a_match().expire_if_due(DEADLINE).proposal, match_id="m2", case_id="case-2"
    )
    open_one = dataclasses.replace(a_match().proposal, match_id="m3", case_id="case-3")
    accepted = dataclasses.replace(
        a_match().accept(BEFORE_DEADLINE).proposal, match_id="m4", case_id="case-4"
    )
    assert excluded_case_ids([declined, expired, open_one, accepted]) == {"case-1", "case-2"}


def test_after_a_decline_the_home_goes_to_the_next_candidate_not_the_same_one() -> None:
    first = make_candidate(case_id="case-1", submitted_at=PROPOSED_AT - timedelta(days=60))
    second = make_candidate(case_id="case-2", submitted_at=PROPOSED_AT - timedelta(days=30))
    home = make_home()
    chosen = select_candidate(home, [first, second], "m01", POLICY)
    assert chosen == first
    match = propose("match-1", home, first, PROPOSED_AT)
    declined = match.decline(DeclineReason.CLIENT_DECLINED, BEFORE_DEADLINE)
    pool = [declined.candidate, second]
    history: list[MatchProposal] = [declined.proposal]
    nxt = select_candidate(declined.home, pool, "m01", POLICY, excluded_case_ids(history))
    assert nxt == second
