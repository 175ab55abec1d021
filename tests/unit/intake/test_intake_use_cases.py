"""The intake's use cases against in-memory ports: what each decides, what it publishes, and
that a refused request changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from intake_fakes import (
    CASEWORKER,
    COORDINATOR,
    CORPORATION,
    OTHER_CASEWORKER,
    T0,
    FakeDatabase,
    context,
    details,
)

from services.intake.application.access import CaseNotFound, NotAllowed
from services.intake.application.open_intake import NewIntake, open_intake
from services.intake.application.ports import CaseFilter
from services.intake.application.read_intakes import list_cases, read_case_file
from services.intake.application.record_client_response import (
    ClientResponse,
    record_client_response,
)
from services.intake.application.submit_intake import submit_intake
from services.intake.application.update_intake import update_intake
from services.intake.application.withdraw_intake import withdraw_intake
from services.intake.domain.client import PersonalData
from services.intake.domain.details import IntakeDetails
from services.intake.domain.errors import DuplicateIntake, IntakeInvalid, TransitionNotAllowed
from services.intake.domain.household import Household
from services.intake.domain.intake import (
    ClientDeclineReason,
    Intake,
    IntakeStatus,
    WithdrawalReason,
)
from services.intake.domain.risks import Risk, RiskCategory
from shared.events.intake import (
    ClientResponded,
    IntakeSubmitted,
    IntakeUpdated,
    IntakeWithdrawn,
)

CTX = context()


async def opened(db: FakeDatabase, actor=CASEWORKER, *, submit: bool = True,
                 client_number: str = "K-1", **changes: object) -> Intake:
    async with db.uow(one_statement=True) as uow:  # as POST /intakes runs it
        return await open_intake(uow, CTX, actor, NewIntake(
            details(**changes), client_number=client_number, submit=submit))


async def proposed(db: FakeDatabase, match_id: str = "match-1") -> Intake:
    intake = await opened(db)
    async with db.uow() as uow:
        stored = await uow.intakes.get(intake.case_id)
        assert stored is not None
        stored.propose(match_id, T0 + timedelta(days=1))
        await uow.intakes.save(stored)
    return stored


def changing(**fields: object):
    def change(current: IntakeDetails):
        return replace(current, **fields), []
    return change


# ---- opening ---------------------------------------------------------------------------------


async def test_submitted_intake_publishes_pseudonymous_profile_in_euros() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    [event] = db.events(IntakeSubmitted)
    assert isinstance(event, IntakeSubmitted)
    assert event.client_ref == intake.client_ref and event.client_ref.startswith("cr_")
    assert event.member_id == "m01"
    assert str(event.profile.monthly_income) == "1450.00"
    assert str(event.profile.max_rent) == "731.93"  # 3 persons: hoge aftoppingsgrens
    assert event.profile.required_bedrooms == 2
    assert event.profile.household.adults == 1 and event.profile.household.children == 2
    assert intake.status is IntakeStatus.SUBMITTED and intake.submitted_at is not None
    [published] = db.store.published  # with the case, in its one write (`opened`)
    assert (published.case_id, published.occurred_at) == (intake.case_id, intake.submitted_at)


async def test_member_and_caseworker_come_from_the_token() -> None:
    db = FakeDatabase()
    intake = await opened(db, OTHER_CASEWORKER)
    assert intake.member_id == "m02" and intake.caseworker_id == "cw@m02"


async def test_draft_is_published_only_when_submitted() -> None:
    db = FakeDatabase()
    draft = await opened(db, submit=False)
    assert draft.status is IntakeStatus.DRAFT and db.store.published == []
    async with db.uow() as uow:
        await submit_intake(uow, CTX, CASEWORKER, draft.case_id)
    assert len(db.events(IntakeSubmitted)) == 1


async def test_invalid_intake_reports_every_field_and_stores_nothing() -> None:
    db = FakeDatabase()
    with pytest.raises(IntakeInvalid) as refused:
        await opened(
            db,
            client=PersonalData(name="", date_of_birth=T0.date(), bsn="123456789"),
            household=Household(adults=0, children=2),
            ready_to_move_on=T0.date() - timedelta(days=1),
            consent_given_on=None,
            preferred_municipalities=("Amsterdam",),
        )
    fields = {e.field for e in refused.value.errors}
    assert {"client.name", "client.date_of_birth", "client.bsn", "household.adults",
            "ready_to_move_on", "consent_given_on", "preferred_municipalities[0]"} <= fields
    assert db.store.intakes == {} and db.store.published == []


async def test_what_the_event_contract_cannot_carry_is_reported_with_the_rest() -> None:
    db = FakeDatabase()
    long_mitigation = Risk(RiskCategory.DEBTS, "budget management " * 40, "municipality")
    with pytest.raises(IntakeInvalid) as refused:
        await opened(db, risks=(long_mitigation,), consent_given_on=None)
    fields = {e.field for e in refused.value.errors}
    assert fields == {"risks[0].mitigation", "consent_given_on"}
    assert db.store.intakes == {}


async def test_household_needing_more_bedrooms_than_matching_searches_needs_an_override() -> None:
    db = FakeDatabase()
    big = Household(adults=8, children=8)  # 1 + 6 + 4 = 11 bedrooms by the rule
    with pytest.raises(IntakeInvalid) as refused:
        await opened(db, household=big)
    assert [e.field for e in refused.value.errors] == ["household.bedrooms_override"]
    intake = await opened(db, household=replace(big, bedrooms_override=6))
    assert intake.required_bedrooms == 6


async def test_second_intake_for_a_client_with_an_open_case_points_at_it() -> None:
    db = FakeDatabase()
    first = await opened(db)
    with pytest.raises(DuplicateIntake) as refused:
        await opened(db, client_number="K-2")  # same BSN, another client number
    assert refused.value.open_case_id == first.case_id
    assert refused.value.open_case_member_id == "m01"
    assert len(db.store.intakes) == 1


async def test_an_intake_stopped_by_an_open_case_that_has_ended_since_is_stored() -> None:
    db = FakeDatabase()
    async with db.uow(one_statement=True) as uow:
        store = uow.intakes.add
        stopped = []

        async def add(intake: Intake, client_number: str, **submitted: object) -> bool:
            if not stopped:  # as the database answers when the open case ends right after
                stopped.append(intake.case_id)
                return False
            return await store(intake, client_number, **submitted)  # type: ignore[arg-type]

        uow.intakes.add = add  # type: ignore[method-assign]
        intake = await open_intake(uow, CTX, CASEWORKER, NewIntake(details(), "K-1"))
    assert stopped == [intake.case_id]
    assert list(db.store.intakes) == [intake.case_id]
    assert len(db.events(IntakeSubmitted)) == 1


async def test_an_intake_whose_client_keeps_changing_is_refused_and_stores_nothing() -> None:
    db = FakeDatabase()
    tries = []

    async def never(intake: Intake, client_number: str, **submitted: object) -> bool:
        tries.append(intake.case_id)
        return False

    with pytest.raises(RuntimeError, match="kept changing"):
        async with db.uow(one_statement=True) as uow:
            uow.intakes.add = never  # type: ignore[method-assign]
            await open_intake(uow, CTX, CASEWORKER, NewIntake(details(), "K-1"))
    assert len(tries) == 3 and db.store.intakes == {} and db.store.published == []


async def test_same_bsn_at_another_member_is_the_same_client() -> None:
    db = FakeDatabase()
    await opened(db)
    with pytest.raises(DuplicateIntake) as refused:
        await opened(db, OTHER_CASEWORKER)
    assert refused.value.open_case_member_id == "m01"


async def test_without_bsn_the_client_number_identifies_the_client_within_the_member() -> None:
    db = FakeDatabase()
    no_bsn = replace(details().client, bsn=None)
    first = await opened(db, client=no_bsn, client_number="K-9")
    with pytest.raises(DuplicateIntake):
        await opened(db, client=no_bsn, client_number="K-9")
    elsewhere = await opened(db, OTHER_CASEWORKER, client=no_bsn, client_number="K-9")
    assert elsewhere.client_ref != first.client_ref


async def test_a_new_intake_is_allowed_once_the_open_case_is_withdrawn() -> None:
    db = FakeDatabase()
    first = await opened(db)
    async with db.uow() as uow:
        await withdraw_intake(uow, CTX, CASEWORKER, first.case_id, WithdrawalReason.OTHER)
    second = await opened(db)
    assert second.client_ref == first.client_ref and second.case_id != first.case_id


async def test_only_a_caseworker_opens_an_intake() -> None:
    db = FakeDatabase()
    for actor in (COORDINATOR, CORPORATION):
        with pytest.raises(NotAllowed):
            await opened(db, actor)


# ---- updating --------------------------------------------------------------------------------


async def test_update_announces_only_the_changed_matching_fields() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    async with db.uow() as uow:
        updated = await update_intake(uow, CTX, CASEWORKER, intake.case_id,
                                      changing(monthly_income_cents=160_000))
    assert updated.changed == ["monthly_income"]
    [event] = db.events(IntakeUpdated)
    assert isinstance(event, IntakeUpdated)
    assert event.changed == ["monthly_income"] and str(event.profile.monthly_income) == "1600.00"


async def test_household_change_also_announces_the_derived_figures() -> None:
    db = FakeDatabase()
    intake = await opened(db)  # 1 adult, 2 children: 2 bedrooms, high cap
    async with db.uow() as uow:
        updated = await update_intake(uow, CTX, CASEWORKER, intake.case_id, changing(
            household=Household(adults=1, children=0)))
    assert updated.changed == ["household", "required_bedrooms", "max_rent"]


async def test_personal_data_change_tells_matching_nothing() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    new_client = replace(details().client, name="Maria Pietersen-de Boer")
    async with db.uow() as uow:
        updated = await update_intake(uow, CTX, CASEWORKER, intake.case_id, changing(
            client=new_client, notes="new phone number follows",
            risks=(Risk(RiskCategory.DEBTS, "budget coaching", "shelter"),)))
    # the risk's mitigation is a matching field; the name and notes are not
    assert updated.changed == ["risks"]
    async with db.uow() as uow:
        updated = await update_intake(uow, CTX, CASEWORKER, intake.case_id, changing(
            risks=(Risk(RiskCategory.DEBTS, "budget coaching", "debt service"),)))
    assert updated.changed == []  # who carries it stays inside intake
    assert len(db.events(IntakeUpdated)) == 1


async def test_updating_a_draft_publishes_nothing() -> None:
    db = FakeDatabase()
    draft = await opened(db, submit=False)
    async with db.uow() as uow:
        await update_intake(uow, CTX, CASEWORKER, draft.case_id,
                            changing(monthly_income_cents=99_000))
    assert db.store.published == []


async def test_rejected_update_changes_nothing() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    before = db.store.intakes[intake.case_id].details
    bad_client = replace(details().client, bsn="123456789")
    with pytest.raises(IntakeInvalid) as refused:
        async with db.uow() as uow:
            await update_intake(uow, CTX, CASEWORKER, intake.case_id, changing(
                client=bad_client, monthly_income_cents=-1,
                ready_to_move_on=T0.date() - timedelta(days=3)))
    assert {e.field for e in refused.value.errors} == {
        "client.bsn", "monthly_income_cents", "ready_to_move_on"}
    assert db.store.intakes[intake.case_id].details == before
    assert db.events(IntakeUpdated) == []


async def test_another_members_case_does_not_exist_for_a_caseworker() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    with pytest.raises(CaseNotFound):
        async with db.uow() as uow:
            await update_intake(uow, CTX, OTHER_CASEWORKER, intake.case_id,
                                changing(monthly_income_cents=1))
    with pytest.raises(CaseNotFound):
        async with db.uow() as uow:
            await read_case_file(uow, OTHER_CASEWORKER, intake.case_id)


async def test_coordinator_changes_nothing() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    with pytest.raises(NotAllowed):
        async with db.uow() as uow:
            await withdraw_intake(uow, CTX, COORDINATOR, intake.case_id, WithdrawalReason.OTHER)


# ---- withdrawing -----------------------------------------------------------------------------


async def test_withdrawn_draft_was_never_published_so_nothing_is_sent() -> None:
    db = FakeDatabase()
    draft = await opened(db, submit=False)
    async with db.uow() as uow:
        await withdraw_intake(uow, CTX, CASEWORKER, draft.case_id, WithdrawalReason.OTHER)
    assert db.store.published == []


@pytest.mark.parametrize(("reason", "on_the_wire"), [
    (WithdrawalReason.CLIENT_REQUEST, "client_withdrew"),
    (WithdrawalReason.HOUSED_ELSEWHERE, "housed_elsewhere"),
    (WithdrawalReason.DECEASED, "other"),
    (WithdrawalReason.LOST_CONTACT, "other"),
])
async def test_withdrawal_tells_matching_only_a_coarse_reason(
    reason: WithdrawalReason, on_the_wire: str
) -> None:
    db = FakeDatabase()
    intake = await opened(db)
    async with db.uow() as uow:
        withdrawn = await withdraw_intake(uow, CTX, CASEWORKER, intake.case_id, reason)
    assert withdrawn.status is IntakeStatus.WITHDRAWN and withdrawn.ended_at is not None
    [event] = db.events(IntakeWithdrawn)
    assert isinstance(event, IntakeWithdrawn) and event.reason == on_the_wire


async def test_withdrawing_a_withdrawn_case_is_refused() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    async with db.uow() as uow:
        await withdraw_intake(uow, CTX, CASEWORKER, intake.case_id, WithdrawalReason.OTHER)
    with pytest.raises(TransitionNotAllowed):
        async with db.uow() as uow:
            await withdraw_intake(uow, CTX, CASEWORKER, intake.case_id, WithdrawalReason.OTHER)
    assert len(db.events(IntakeWithdrawn)) == 1


# ---- the client's answer ---------------------------------------------------------------------


async def test_client_accepting_keeps_the_proposal_and_tells_matching() -> None:
    db = FakeDatabase()
    intake = await proposed(db)
    async with db.uow() as uow:
        after = await record_client_response(uow, CTX, CASEWORKER, intake.case_id,
                                             ClientResponse(accepted=True))
    assert after.status is IntakeStatus.PROPOSED
    [event] = db.events(ClientResponded)
    assert isinstance(event, ClientResponded)
    assert (event.match_id, event.response, event.reason) == ("match-1", "accept", None)


async def test_client_keeps_the_last_word_and_goes_back_to_waiting() -> None:
    db = FakeDatabase()
    intake = await proposed(db)
    for response in (ClientResponse(accepted=True),
                     ClientResponse(accepted=False, reason=ClientDeclineReason.TOO_EXPENSIVE,
                                    note="the service costs on top are too high")):
        async with db.uow() as uow:
            after = await record_client_response(uow, CTX, CASEWORKER, intake.case_id, response)
    assert after.status is IntakeStatus.SUBMITTED
    assert after.submitted_at == intake.submitted_at  # the place in the queue is kept
    decline = db.events(ClientResponded)[-1]
    assert isinstance(decline, ClientResponded)
    assert (decline.response, decline.reason) == ("decline", "too_expensive")
    assert "costs" not in decline.model_dump_json()  # the note stays inside intake


async def test_declining_needs_a_reason() -> None:
    db = FakeDatabase()
    intake = await proposed(db)
    with pytest.raises(IntakeInvalid) as refused:
        async with db.uow() as uow:
            await record_client_response(uow, CTX, CASEWORKER, intake.case_id,
                                         ClientResponse(accepted=False))
    assert [e.field for e in refused.value.errors] == ["reason"]
    assert db.store.intakes[intake.case_id].status is IntakeStatus.PROPOSED


async def test_an_answer_without_a_proposed_home_is_refused() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    with pytest.raises(TransitionNotAllowed):
        async with db.uow() as uow:
            await record_client_response(uow, CTX, CASEWORKER, intake.case_id,
                                         ClientResponse(accepted=True))


async def test_an_answer_for_an_old_proposal_is_refused() -> None:
    db = FakeDatabase()
    intake = await proposed(db)
    with pytest.raises(TransitionNotAllowed):
        async with db.uow() as uow:
            await record_client_response(uow, CTX, CASEWORKER, intake.case_id,
                                         ClientResponse(accepted=True, match_id="match-0"))
    assert db.events(ClientResponded) == []


# ---- reading ---------------------------------------------------------------------------------


async def test_caseworker_read_of_personal_data_is_logged_with_its_reason() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    async with db.uow() as uow:
        case = await read_case_file(uow, CASEWORKER, intake.case_id, "  phone call  with client")
    assert case.with_personal_data and case.client_number == "K-1"
    [entry] = db.store.access
    assert (entry.reader, entry.role, entry.org, entry.case_id, entry.member_id, entry.reason) \
        == ("cw@m01", "caseworker", "m01", intake.case_id, "m01", "phone call with client")


async def test_read_without_a_reason_is_logged_as_case_work() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    async with db.uow() as uow:
        await read_case_file(uow, CASEWORKER, intake.case_id)
    assert db.store.access[0].reason == "case work"


async def test_a_blank_reason_is_refused_and_nothing_is_read() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    with pytest.raises(IntakeInvalid):
        async with db.uow() as uow:
            await read_case_file(uow, CASEWORKER, intake.case_id, "   ")
    assert db.store.access == []


async def test_coordinator_sees_the_case_without_personal_data_and_nothing_is_logged() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    async with db.uow() as uow:
        case = await read_case_file(uow, COORDINATOR, intake.case_id)
    assert not case.with_personal_data and case.client_number is None
    assert db.store.access == []


async def test_other_roles_may_not_read_intakes() -> None:
    db = FakeDatabase()
    intake = await opened(db)
    with pytest.raises(NotAllowed):
        async with db.uow() as uow:
            await read_case_file(uow, CORPORATION, intake.case_id)


async def test_caseworker_lists_only_their_own_organisations_cases() -> None:
    db = FakeDatabase()
    mine = await opened(db)
    await opened(db, OTHER_CASEWORKER, client=replace(details().client, bsn=None))
    async with db.uow() as uow:
        own = await list_cases(uow, CASEWORKER, CaseFilter(member_id="m02"))
        every = await list_cases(uow, COORDINATOR, CaseFilter())
    assert [i.case_id for i in own] == [mine.case_id]
    assert len(every) == 2
