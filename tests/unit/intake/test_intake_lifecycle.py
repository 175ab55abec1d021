"""The intake's lifecycle: draft → submitted → proposed → housed → closed, or withdrawn."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from services.intake.domain.affordability import RENT_LIMITS_2025
from services.intake.domain.client import PersonalData
from services.intake.domain.details import IntakeDetails, IntakeRules
from services.intake.domain.errors import TransitionNotAllowed
from services.intake.domain.household import Household
from services.intake.domain.intake import (
    ALLOWED_TRANSITIONS,
    ClientDeclineReason,
    Intake,
    IntakeStatus,
    ProposalOutcome,
    StatusChange,
    WithdrawalReason,
)
from services.intake.domain.pseudonym import client_ref
from services.intake.domain.region import U16

S = IntakeStatus
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = IntakeRules(region=U16, rent_limits=RENT_LIMITS_2025)
MATCH = "match-1"


def at(days: int) -> datetime:
    return T0 + timedelta(days=days)


def new_intake() -> Intake:
    details = IntakeDetails(
        client=PersonalData(name="Jan Jansen", date_of_birth=date(1985, 6, 15)),
        household=Household(adults=1),
        monthly_income_cents=125_000,
        ready_to_move_on=T0.date(),
        consent_given_on=T0.date(),
    )
    return Intake.open(
        case_id="case-1",
        client_ref=client_ref(b"k" * 32, None, "m01:42"),
        member_id="m01",
        caseworker_id="cw-7",
        details=details,
        rules=RULES,
        now=T0,
    )


def intake_in(status: IntakeStatus) -> Intake:
    """An intake brought to `status` through the public methods only."""
    intake = new_intake()
    if status is S.WITHDRAWN:
        intake.withdraw(WithdrawalReason.CLIENT_REQUEST, at(1))
        return intake
    steps: list[tuple[IntakeStatus, Callable[[Intake], None]]] = [
        (S.SUBMITTED, lambda i: i.submit(at(1))),
        (S.PROPOSED, lambda i: i.propose(MATCH, at(2))),
        (S.HOUSED, lambda i: i.mark_housed(MATCH, date(2026, 4, 1), at(3))),
        (S.CLOSED, lambda i: i.close(at(400))),
    ]
    for reached, step in steps:
        if intake.status is status:
            break
        step(intake)
        assert intake.status is reached
    return intake


ACTIONS: dict[str, Callable[[Intake], None]] = {
    "submit": lambda i: i.submit(at(10)),
    "propose": lambda i: i.propose("match-2", at(10)),
    "client_accepts": lambda i: i.client_accepts(MATCH, at(10)),
    "client_declines": lambda i: i.client_declines(MATCH, ClientDeclineReason.LOCATION, at(10)),
    "return_to_waiting": lambda i: i.return_to_waiting(MATCH, ProposalOutcome.EXPIRED, at(10)),
    "mark_housed": lambda i: i.mark_housed(MATCH, date(2026, 4, 1), at(10)),
    "close": lambda i: i.close(at(10)),
    "withdraw": lambda i: i.withdraw(WithdrawalReason.LOST_CONTACT, at(10)),
}

ALLOWED: dict[tuple[IntakeStatus, str], IntakeStatus] = {
    (S.DRAFT, "submit"): S.SUBMITTED,
    (S.DRAFT, "withdraw"): S.WITHDRAWN,
    (S.SUBMITTED, "propose"): S.PROPOSED,
    (S.SUBMITTED, "withdraw"): S.WITHDRAWN,
    (S.PROPOSED, "client_accepts"): S.PROPOSED,
    (S.PROPOSED, "client_declines"): S.SUBMITTED,
    (S.PROPOSED, "return_to_waiting"): S.SUBMITTED,
    (S.PROPOSED, "mark_housed"): S.HOUSED,
    (S.PROPOSED, "withdraw"): S.WITHDRAWN,
    (S.HOUSED, "close"): S.CLOSED,
    # A signed tenancy that overtook the withdrawal on its way to matching: the fact wins.
    (S.WITHDRAWN, "mark_housed"): S.HOUSED,
}

EVERY_CASE = [(status, action) for status in IntakeStatus for action in ACTIONS]


@pytest.mark.parametrize(
    ("status", "action"), [case for case in EVERY_CASE if case in ALLOWED], ids=str
)
def test_allowed_steps_reach_their_status(status: IntakeStatus, action: str) -> None:
    intake = intake_in(status)
    ACTIONS[action](intake)
    assert intake.status is ALLOWED[(status, action)]


@pytest.mark.parametrize(
    ("status", "action"), [case for case in EVERY_CASE if case not in ALLOWED], ids=str
)
def test_forbidden_steps_are_refused_and_change_nothing(status: IntakeStatus, action: str) -> None:
    intake = intake_in(status)
    history, proposals = list(intake.history), list(intake.proposals)
    with pytest.raises(TransitionNotAllowed):
        ACTIONS[action](intake)
    assert intake.status is status
    assert intake.history == history
    assert intake.proposals == proposals


def test_the_transition_table_is_the_documented_lifecycle() -> None:
    documented = {
        S.DRAFT: {S.SUBMITTED, S.WITHDRAWN},
        S.SUBMITTED: {S.PROPOSED, S.WITHDRAWN},
        S.PROPOSED: {S.SUBMITTED, S.HOUSED, S.WITHDRAWN},
        S.HOUSED: {S.CLOSED},
        S.CLOSED: set(),
        S.WITHDRAWN: set(),
    }
    assert documented == ALLOWED_TRANSITIONS


def test_a_refusal_says_what_was_tried_and_from_which_status() -> None:
    intake = intake_in(S.HOUSED)
    with pytest.raises(TransitionNotAllowed) as raised:
        intake.withdraw(WithdrawalReason.CLIENT_REQUEST, at(10))
    message = str(raised.value)
    assert "cannot withdraw an intake that is housed" in message
    assert "it must be draft or submitted or proposed to become withdrawn" in message


def test_every_status_change_is_recorded_with_its_time() -> None:
    intake = intake_in(S.CLOSED)
    assert intake.history == [
        StatusChange(S.DRAFT, S.SUBMITTED, at(1)),
        StatusChange(S.SUBMITTED, S.PROPOSED, at(2)),
        StatusChange(S.PROPOSED, S.HOUSED, at(3)),
        StatusChange(S.HOUSED, S.CLOSED, at(400)),
    ]


def test_submitting_starts_the_waiting_time() -> None:
    intake = intake_in(S.SUBMITTED)
    assert intake.submitted_at == at(1)
    assert intake.matching_view().waiting_since == at(1)


def test_back_to_waiting_keeps_the_original_waiting_time() -> None:
    intake = intake_in(S.PROPOSED)
    intake.return_to_waiting(MATCH, ProposalOutcome.CORPORATION_DECLINED, at(5))
    intake.propose("match-2", at(6))
    intake.client_declines("match-2", ClientDeclineReason.TOO_EXPENSIVE, at(7))
    assert intake.status is S.SUBMITTED
    assert intake.submitted_at == at(1)
    assert [p.outcome for p in intake.proposals] == [
        ProposalOutcome.CORPORATION_DECLINED,
        ProposalOutcome.CLIENT_DECLINED,
    ]


def test_the_client_keeps_the_last_word_after_accepting() -> None:
    intake = intake_in(S.PROPOSED)
    intake.client_accepts(MATCH, at(3))
    assert intake.current_proposal is not None
    intake.client_declines(MATCH, ClientDeclineReason.HOME_UNSUITABLE, at(4), note="Too noisy")
    assert intake.history[-1] == StatusChange(S.PROPOSED, S.SUBMITTED, at(4))
    answer = intake.proposals[-1].client_answer
    assert answer is not None
    assert (answer.accepted, answer.reason, answer.note) == (
        False,
        ClientDeclineReason.HOME_UNSUITABLE,
        "Too noisy",
    )


def test_accepting_records_the_answer_on_the_current_proposal() -> None:
    intake = intake_in(S.PROPOSED)
    intake.client_accepts(MATCH, at(3))
    current = intake.current_proposal
    assert current is not None
    assert current.client_answer is not None
    assert current.client_answer.accepted
    assert current.client_answer.at == at(3)


def test_an_answer_for_another_proposal_is_refused() -> None:
    intake = intake_in(S.PROPOSED)
    with pytest.raises(TransitionNotAllowed, match="current proposal is match-1"):
        intake.client_accepts("match-old", at(3))
    with pytest.raises(TransitionNotAllowed):
        intake.mark_housed("match-old", date(2026, 4, 1), at(3))


def test_only_matching_outcomes_send_the_client_back_to_waiting() -> None:
    intake = intake_in(S.PROPOSED)
    with pytest.raises(ValueError, match="outcome must be one of"):
        intake.return_to_waiting(MATCH, ProposalOutcome.HOUSED, at(3))
    assert intake.status is S.PROPOSED


def test_withdrawing_a_proposed_intake_releases_the_proposal() -> None:
    intake = intake_in(S.PROPOSED)
    intake.withdraw(WithdrawalReason.HOUSED_ELSEWHERE, at(4))
    assert intake.proposals[-1].outcome is ProposalOutcome.INTAKE_WITHDRAWN
    assert intake.withdrawal_reason is WithdrawalReason.HOUSED_ELSEWHERE
    assert intake.ended_at == at(4)
    assert intake.current_proposal is None


def test_housing_records_the_tenancy_start_and_ends_the_proposal() -> None:
    intake = intake_in(S.HOUSED)
    assert intake.tenancy_start == date(2026, 4, 1)
    assert intake.proposals[-1].outcome is ProposalOutcome.HOUSED
    assert intake.ended_at is None


def test_a_tenancy_that_overtook_the_withdrawal_houses_the_client_after_all() -> None:
    intake = intake_in(S.PROPOSED)
    intake.withdraw(WithdrawalReason.HOUSED_ELSEWHERE, at(4))
    intake.mark_housed(MATCH, date(2026, 4, 1), at(5))
    assert intake.status is S.HOUSED and intake.tenancy_start == date(2026, 4, 1)
    assert [p.outcome for p in intake.proposals] == [ProposalOutcome.HOUSED]
    assert [(c.from_status, c.to_status) for c in intake.history][-2:] == [
        (S.PROPOSED, S.WITHDRAWN), (S.WITHDRAWN, S.HOUSED)]
    assert intake.ended_at is None  # retention waits for the end of aftercare
    intake.close(at(400))
    assert intake.status is S.CLOSED


def test_a_tenancy_for_a_proposal_never_seen_here_is_recorded_with_it() -> None:
    intake = intake_in(S.SUBMITTED)
    intake.withdraw(WithdrawalReason.CLIENT_REQUEST, at(4))
    intake.mark_housed("match-late", date(2026, 4, 1), at(6))
    assert intake.status is S.HOUSED
    assert [(p.match_id, p.outcome) for p in intake.proposals] == [
        ("match-late", ProposalOutcome.HOUSED)]


def test_an_erased_withdrawn_case_takes_no_tenancy() -> None:
    intake = intake_in(S.WITHDRAWN)
    intake.personal_data_erased_at = at(900)
    with pytest.raises(TransitionNotAllowed):
        intake.mark_housed(MATCH, date(2026, 4, 1), at(901))
    assert intake.status is S.WITHDRAWN


def test_closing_starts_the_retention_period() -> None:
    assert intake_in(S.CLOSED).ended_at == at(400)


def test_a_proposal_needs_a_match_id() -> None:
    with pytest.raises(ValueError):
        intake_in(S.SUBMITTED).propose(" ", at(3))


def test_an_overlong_decline_note_is_refused() -> None:
    intake = intake_in(S.PROPOSED)
    with pytest.raises(ValueError, match="note"):
        intake.client_declines(MATCH, ClientDeclineReason.OTHER, at(3), note="x" * 1001)
    assert intake.status is S.PROPOSED


@pytest.mark.parametrize(
    ("status", "is_open", "is_published"),
    [
        (S.DRAFT, True, False),
        (S.SUBMITTED, True, True),
        (S.PROPOSED, True, True),
        (S.HOUSED, True, False),
        (S.CLOSED, False, False),
        (S.WITHDRAWN, False, False),
    ],
)
def test_open_and_published_follow_the_status(
    status: IntakeStatus, is_open: bool, is_published: bool
) -> None:
    intake = intake_in(status)
    assert (intake.is_open, intake.is_published) == (is_open, is_published)
