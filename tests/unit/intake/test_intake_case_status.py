"""Matching's and aftercare's events keep the case status current; stale ones change nothing;
and personal data is erased once the retention period has passed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from intake_fakes import CASEWORKER, T0, FakeDatabase, context, details

from services.intake.application import track_case_status as track
from services.intake.application.erase_expired_personal_data import (
    erase_expired_personal_data,
)
from services.intake.application.open_intake import NewIntake, open_intake
from services.intake.application.record_client_response import (
    ClientResponse,
    record_client_response,
)
from services.intake.application.withdraw_intake import withdraw_intake
from services.intake.domain.errors import TransitionNotAllowed
from services.intake.domain.intake import (
    ClientDeclineReason,
    IntakeStatus,
    ProposalOutcome,
    WithdrawalReason,
)
from services.intake.domain.retention import add_months

CTX = context()
DAY = timedelta(days=1)


async def new_case(db: FakeDatabase, client_number: str = "K-1", bsn: str | None = None) -> str:
    client = details().client
    from dataclasses import replace

    async with db.uow() as uow:
        intake = await open_intake(uow, CTX, CASEWORKER, NewIntake(
            details(client=replace(client, bsn=bsn)), client_number=client_number))
    return intake.case_id


def status(db: FakeDatabase, case_id: str) -> IntakeStatus:
    return db.store.intakes[case_id].status


async def test_proposal_tenancy_and_end_of_aftercare_move_the_case_along() -> None:
    db = FakeDatabase()
    case = await new_case(db)
    async with db.uow() as uow:
        assert await track.record_proposal(uow, case, "m-1", T0 + DAY)
    assert status(db, case) is IntakeStatus.PROPOSED
    async with db.uow() as uow:
        assert await track.record_tenancy(uow, case, "m-1", date(2027, 4, 1), T0 + 2 * DAY)
    assert status(db, case) is IntakeStatus.HOUSED
    assert db.store.intakes[case].tenancy_start == date(2027, 4, 1)
    async with db.uow() as uow:
        assert await track.close_case(uow, case, T0 + 400 * DAY)
    assert status(db, case) is IntakeStatus.CLOSED
    assert db.store.intakes[case].ended_at == T0 + 400 * DAY


@pytest.mark.parametrize("outcome", [ProposalOutcome.CORPORATION_DECLINED,
                                     ProposalOutcome.EXPIRED, ProposalOutcome.HOME_WITHDRAWN])
async def test_ended_proposal_sends_the_client_back_to_waiting_keeping_their_place(
    outcome: ProposalOutcome,
) -> None:
    db = FakeDatabase()
    case = await new_case(db)
    waiting_since = db.store.intakes[case].submitted_at
    async with db.uow() as uow:
        await track.record_proposal(uow, case, "m-1", T0 + DAY)
        await track.end_proposal(uow, case, "m-1", outcome, T0 + 6 * DAY)
    intake = db.store.intakes[case]
    assert intake.status is IntakeStatus.SUBMITTED and intake.submitted_at == waiting_since
    assert intake.proposals[-1].outcome is outcome


async def test_a_decline_matching_recorded_as_the_clients_is_the_clients_no() -> None:
    db = FakeDatabase()
    case = await new_case(db)
    async with db.uow() as uow:
        await track.record_proposal(uow, case, "m-1", T0 + DAY)
        await track.record_client_decline(uow, case, "m-1", T0 + 2 * DAY)
    intake = db.store.intakes[case]
    assert intake.status is IntakeStatus.SUBMITTED
    assert intake.proposals[-1].outcome is ProposalOutcome.CLIENT_DECLINED


async def test_matchings_echo_of_a_decline_already_recorded_here_changes_nothing() -> None:
    db = FakeDatabase()
    case = await new_case(db)
    async with db.uow() as uow:
        await track.record_proposal(uow, case, "m-1", T0 + DAY)
        await record_client_response(uow, CTX, CASEWORKER, case, ClientResponse(
            accepted=False, reason=ClientDeclineReason.LOCATION))
    async with db.uow() as uow:
        assert not await track.record_client_decline(uow, case, "m-1", T0 + 2 * DAY)
        assert not await track.end_proposal(uow, case, "m-1", ProposalOutcome.EXPIRED,
                                            T0 + 3 * DAY)
    intake = db.store.intakes[case]
    assert intake.status is IntakeStatus.SUBMITTED
    assert intake.proposals[-1].outcome is ProposalOutcome.CLIENT_DECLINED


async def test_a_proposal_for_a_withdrawn_case_is_ignored() -> None:
    db = FakeDatabase()
    case = await new_case(db)
    async with db.uow() as uow:
        await withdraw_intake(uow, CTX, CASEWORKER, case, WithdrawalReason.CLIENT_REQUEST)
        assert not await track.record_proposal(uow, case, "m-1", T0 + DAY)
    assert status(db, case) is IntakeStatus.WITHDRAWN


async def test_a_tenancy_the_case_cannot_take_is_raised_for_a_person_to_look_at() -> None:
    db = FakeDatabase()
    case = await new_case(db)
    with pytest.raises(TransitionNotAllowed):
        async with db.uow() as uow:
            await track.record_tenancy(uow, case, "m-1", date(2027, 4, 1), T0 + DAY)
    with pytest.raises(TransitionNotAllowed):
        async with db.uow() as uow:
            await track.close_case(uow, case, T0 + DAY)
    assert status(db, case) is IntakeStatus.SUBMITTED


async def test_events_for_a_case_this_service_does_not_hold_are_ignored() -> None:
    db = FakeDatabase()
    async with db.uow() as uow:
        assert not await track.record_proposal(uow, "0b1c5f1e-0000-4000-8000-000000000000",
                                               "m-1", T0)


# ---- retention -------------------------------------------------------------------------------


async def test_personal_data_is_erased_only_after_the_retention_period() -> None:
    db = FakeDatabase()
    withdrawn = await new_case(db, "K-1", bsn="111222333")
    still_open = await new_case(db, "K-2")
    async with db.uow() as uow:
        await withdraw_intake(uow, CTX, CASEWORKER, withdrawn, WithdrawalReason.OTHER)
    ended = db.store.intakes[withdrawn].ended_at
    assert ended is not None
    due = add_months(ended, 24)

    erased = await erase_expired_personal_data(db.uow, due - timedelta(seconds=1), 24)
    assert erased == 0 and db.store.intakes[withdrawn].personal_data_erased_at is None

    erased = await erase_expired_personal_data(db.uow, due, 24)
    assert erased == 1
    intake = db.store.intakes[withdrawn]
    assert intake.personal_data_erased_at == due
    assert intake.details.client.name == "" and intake.details.client.bsn is None
    assert intake.details.client.date_of_birth is None and intake.details.notes == ""
    assert withdrawn not in db.store.client_numbers
    # the pseudonymous record stays
    assert intake.client_ref.startswith("cr_") and intake.member_id == "m01"
    assert intake.status is IntakeStatus.WITHDRAWN and intake.details.household.children == 2
    assert db.store.intakes[still_open].personal_data_erased_at is None

    assert await erase_expired_personal_data(db.uow, due + timedelta(days=400), 24) == 0


async def test_retention_period_is_a_parameter() -> None:
    db = FakeDatabase()
    case = await new_case(db)
    async with db.uow() as uow:
        await withdraw_intake(uow, CTX, CASEWORKER, case, WithdrawalReason.OTHER)
    ended = db.store.intakes[case].ended_at
    assert ended is not None
    assert await erase_expired_personal_data(db.uow, add_months(ended, 6), 12) == 0
    assert await erase_expired_personal_data(db.uow, add_months(ended, 6), 6) == 1
