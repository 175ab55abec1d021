"""A new candidate is added and the homes it may unblock are found and locked in one
statement (`repository.add_candidate`): the homes are asked about as before, one another
transaction holds is passed over, and a submission read again adds nothing and asks
nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.adapters.db.repository import (
    add_candidate,
    ask_homes_at_commit,
    candidate_from,
    lock_home,
)
from services.matching.adapters.db.tables import candidates, homes, outbox
from services.matching.application.register_candidate import register_candidate
from shared.events.intake import IntakeSubmitted
from tests.integration.matching.support import Direct, Scenario, profile
from tests.support.statements import statements_sent

pytestmark = pytest.mark.infra

# A rent no other test's home asks and a date long before any other test's candidate is
# ready: the search finds this test's home alone, and no other candidate is eligible for it.
RENT, READY = "101.37", "2020-03-03"


async def submit(direct: Direct, event: IntakeSubmitted, case_id: uuid.UUID) -> bool:
    async with AsyncSession(direct.engine) as session, session.begin():
        return await register_candidate(direct.services.unit(session, direct.now), case_id,
                                        event, direct.now)


async def test_a_candidate_is_added_with_the_homes_it_unblocks_in_one_statement_and_once(
    scenario: Scenario, direct: Direct,
) -> None:
    home_id = await direct.offer(rent=RENT, available_from=READY)
    assert (await direct.home(home_id)).status == "waiting"  # nobody for it yet
    member = scenario.member()
    case_id = uuid.uuid4()
    event = IntakeSubmitted(client_ref=f"ref{case_id.hex}", member_id=member,
                            profile=profile(max_rent=RENT, ready_from=READY), consent=True)

    with statements_sent(direct.engine) as sent:
        assert await submit(direct, event, case_id)
    inserts = [s.statement for s in sent if "INSERT INTO matching.candidates" in s.statement]
    assert len(inserts) == 1 and "FROM matching.homes" in inserts[0]
    reads_of_homes = [s for s in sent if s.statement.lstrip().startswith("SELECT matching.homes")]
    assert reads_of_homes == []  # found and locked by the insert's statement, not again
    assert "SKIP LOCKED" in inserts[0]
    asked = await direct.home(home_id)
    assert (asked.status, asked.requested_members) == ("allocating", [member])

    assert not await submit(direct, event, case_id)  # read again: nothing added or asked
    assert (await direct.home(home_id)).allocation_round == asked.allocation_round
    async with direct.engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(candidates)
                                 .where(candidates.c.case_id == case_id)) == 1


async def test_a_candidate_no_waiting_home_admits_is_added_all_the_same(
    scenario: Scenario, direct: Direct,
) -> None:
    case_id = uuid.uuid4()
    event = IntakeSubmitted(client_ref=f"ref{case_id.hex}", member_id=scenario.member(),
                            profile=profile(max_rent="1.00"), consent=True)
    assert await submit(direct, event, case_id)
    async with direct.engine.connect() as conn:
        assert await conn.scalar(sa.select(candidates.c.status)
                                 .where(candidates.c.case_id == case_id)) == "waiting"


async def test_a_home_another_transaction_holds_is_passed_over_without_waiting(
    scenario: Scenario, direct: Direct,
) -> None:
    earlier = "2018-06-06"  # before the first test's candidate is ready: not eligible here
    home_id = await direct.offer(rent=RENT, available_from=earlier)
    assert (await direct.home(home_id)).status == "waiting"
    case_id = uuid.uuid4()
    event = IntakeSubmitted(client_ref=f"ref{case_id.hex}", member_id=scenario.member(),
                            profile=profile(max_rent=RENT, ready_from=earlier), consent=True)
    async with AsyncSession(direct.engine) as holder, holder.begin():
        await holder.execute(sa.select(homes.c.home_id).where(homes.c.home_id == home_id)
                             .with_for_update())
        assert await asyncio.wait_for(submit(direct, event, case_id), 10)
    assert (await direct.home(home_id)).status == "waiting"  # not asked: it was held


async def test_the_homes_found_carry_their_waiting_pool_and_the_new_candidate_joins_it(
    scenario: Scenario, direct: Direct,
) -> None:
    """The pool of each home found is read by the same statement, which does not see its
    own insert: the home asks about the members of the candidates already waiting and of
    the new one, without a read of the pool of its own."""
    ready, rent = "2016-09-09", "101.41"  # this test's home and candidates alone
    home_id = await direct.offer(rent=rent, available_from=ready)
    waiting, new = scenario.member(1), scenario.member(2)
    first = await direct.add_candidate(waiting, max_rent=rent, ready_from=ready)  # asks nothing
    await direct.add_candidate(scenario.member(3), max_rent="101.00", ready_from=ready)
    assert (await direct.home(home_id)).status == "waiting"
    case_id = uuid.uuid4()
    event = IntakeSubmitted(client_ref=f"ref{case_id.hex}", member_id=new,
                            profile=profile(max_rent=rent, ready_from=ready), consent=True)

    async with AsyncSession(direct.engine) as session, session.begin():  # rolled back
        document = event.profile.model_dump(mode="json")
        found = await add_candidate(
            session, candidate_from(case_id, event.client_ref, new, document, direct.now),
            document, direct.services.unit(session, direct.now)
            .rules.eligibility.readiness_grace_days)
        await session.rollback()
    # narrowed to the home's hard limits in the database: not the candidate short of rent
    assert found is not None
    [mine] = [h for h in found if str(h.row.home_id) == str(home_id)]  # (others' homes too)
    assert sorted(str(c.case_id) for c in mine.pool) == sorted([str(first), str(case_id)])

    with statements_sent(direct.engine) as sent:
        assert await submit(direct, event, case_id)
    assert [s for s in sent if s.statement.lstrip().startswith("SELECT matching.candidates")
            ] == []
    asked = await direct.home(home_id)
    # the member whose candidate cannot pay the rent is not asked about
    assert (asked.status, asked.requested_members) == ("allocating", sorted([waiting, new]))


async def intakes_in_one_transaction(direct: Direct, events: list[IntakeSubmitted],
                                     *, then_lock: uuid.UUID | None = None) -> Any:
    """Intakes registered in one transaction that writes the homes it asks about at its
    commit (as the consumer's `prepare` lets a transaction of intakes alone do); returns the
    row `lock_home(then_lock)` gives afterwards in the same transaction."""
    locked = None
    async with AsyncSession(direct.engine) as session, session.begin():
        ask_homes_at_commit(session)
        for event in events:
            assert await register_candidate(direct.services.unit(session, direct.now),
                                            uuid.uuid4(), event, direct.now)
        if then_lock is not None:
            locked = await lock_home(session, then_lock)
    return locked


def intake(member: str, rent: str, ready: str) -> IntakeSubmitted:
    return IntakeSubmitted(client_ref=f"ref{uuid.uuid4().hex}", member_id=member,
                           profile=profile(max_rent=rent, ready_from=ready), consent=True)


async def requests_for(direct: Direct, home_id: uuid.UUID) -> int:
    async with direct.engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(outbox).where(
            outbox.c.key == str(home_id), outbox.c.event_type == "AllocationRequested")))


async def test_a_transaction_of_intakes_writes_the_homes_it_asks_about_at_its_commit(
    scenario: Scenario, direct: Direct,
) -> None:
    # this test's homes alone; the second intake fits both, but the first is asked about
    rents, ready = ("101.43", "101.47"), "2015-05-05"
    home_ids = [await direct.offer(rent=rent, available_from=ready) for rent in rents]
    members = [scenario.member(1), scenario.member(2)]
    with statements_sent(direct.engine) as sent:
        await intakes_in_one_transaction(
            direct, [intake(m, rent, ready) for m, rent in zip(members, rents, strict=True)])
    updates = [s for s in sent if s.statement.lstrip().startswith("UPDATE matching.homes")]
    assert len(updates) == 1  # both homes in one statement (an executemany)
    for home_id, member in zip(home_ids, members, strict=True):
        asked = await direct.home(home_id)
        assert (asked.status, asked.allocation_round, asked.requested_members) == (
            "allocating", 1, [member])
        assert await requests_for(direct, home_id) == 1


async def test_a_home_asked_about_at_the_commit_is_not_found_again_nor_read_stale(
    scenario: Scenario, direct: Direct,
) -> None:
    """The second intake fits the home the first one asked about: as when the first one's
    write was made at once, the home is allocating and not found again; and a read of it
    later in the transaction sees it asked about."""
    rent, ready = "101.53", "2014-04-04"
    home_id = await direct.offer(rent=rent, available_from=ready)
    first, second = scenario.member(1), scenario.member(2)
    locked = await intakes_in_one_transaction(
        direct, [intake(first, rent, ready), intake(second, rent, ready)], then_lock=home_id)
    assert (locked.status, locked.allocation_round) == ("allocating", 1)
    asked = await direct.home(home_id)
    assert (asked.status, asked.allocation_round, asked.requested_members) == (
        "allocating", 1, [first])
    assert await requests_for(direct, home_id) == 1
