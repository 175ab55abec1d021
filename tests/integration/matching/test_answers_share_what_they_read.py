"""A transaction of allocation answers reads the waiting pool once (pool_seen.py): the owed
members' candidates and the pool's counts are read by its first answer and kept up to date
with its own proposals for the next — proposing and explaining exactly what reading afresh
would — while a candidate another transaction takes meanwhile is still never proposed, and a
transaction holding the pool lock reads afresh."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.adapters.db.tables import candidates, homes, matches
from services.matching.adapters.db.tables import homes as homes_table
from services.matching.adapters.kafka.handlers import lock_answered_homes
from services.matching.application import mediate, pool_seen
from services.matching.application.explain import members_to_list
from services.matching.application.mediate import propose_on_decision
from tests.integration.matching.support import Direct, Scenario, profile
from tests.support.statements import Sent, statements_sent

pytestmark = pytest.mark.infra


async def three_waiting(direct: Direct, member: str) -> list[uuid.UUID]:
    """Three waiting candidates of the member, in the order they are proposed."""
    return [await direct.add_candidate(member, urgency=urgency)
            for urgency in ("urgent", "high", "low")]


def reads_of_waiting_candidates(sent: list[Sent]) -> int:
    return len([s for s in sent if s.statement.lstrip().startswith("SELECT")
                and "FROM matching.candidates" in s.statement
                and "FOR UPDATE" not in s.statement and "count(" not in s.statement
                and "member_id = ANY" in s.statement])


def counts_read(sent: list[Sent]) -> int:
    return len([s for s in sent if "FROM matching.candidates" in s.statement
                and "count(" in s.statement])


def locks_of(sent: list[Sent], case_id: uuid.UUID) -> int:
    return len([s for s in sent if "FOR UPDATE" in s.statement
                and "FROM matching.candidates" in s.statement
                and case_id in _values(s.parameters)])


def home_locks(sent: list[Sent]) -> int:
    return len([s for s in sent if "FOR UPDATE" in s.statement
                and s.statement.lstrip().startswith("SELECT matching.homes")])


def _values(parameters: Any) -> list[Any]:
    return list(parameters.values() if isinstance(parameters, dict) else parameters)


async def proposed_case(direct: Direct, match_id: uuid.UUID | None) -> uuid.UUID:
    assert match_id is not None
    async with direct.engine.connect() as conn:
        case_id: uuid.UUID = await conn.scalar(
            sa.select(matches.c.case_id).where(matches.c.match_id == match_id))
        return case_id


async def explanation(direct: Direct, match_id: uuid.UUID | None) -> dict[str, Any]:
    async with direct.engine.connect() as conn:
        found: dict[str, Any] = await conn.scalar(
            sa.select(matches.c.explanation).where(matches.c.match_id == match_id))
        return found


async def answers_with_a_change_between(
    direct: Direct, member: str, homes: list[uuid.UUID], case_id: uuid.UUID,
    change: dict[str, Any],
) -> tuple[list[Sent], list[uuid.UUID | None]]:
    """Answers naming `member` for each home in one transaction; after the first one, another
    transaction changes the candidate and commits. The statements sent and the proposals."""
    with statements_sent(direct.engine) as sent:
        async with AsyncSession(direct.engine) as session, session.begin():
            unit = direct.services.unit(session, direct.now)
            made = [await propose_on_decision(unit, direct.round_one_answer(homes[0], member))]
            async with direct.engine.begin() as other:  # committed meanwhile
                await other.execute(sa.update(candidates).values(**change)
                                    .where(candidates.c.case_id == case_id))
            for home_id in homes[1:]:
                made.append(await propose_on_decision(
                    unit, direct.round_one_answer(home_id, member)))
    return sent, made


async def test_answers_in_one_transaction_read_the_pool_once_and_see_their_own_proposals(
    scenario: Scenario, direct: Direct,
) -> None:
    member = scenario.member()
    best, second, _ = await three_waiting(direct, member)
    await direct.add_candidate(scenario.member(2))  # another member's, for the explanation
    homes = await direct.add_allocating_homes(2, asked=[member])

    with statements_sent(direct.engine) as sent:
        async with AsyncSession(direct.engine) as session, session.begin():
            made, read_by = [], []
            for h in homes:
                before = len(sent)
                made.append(await propose_on_decision(
                    direct.services.unit(session, direct.now),
                    direct.round_one_answer(h, member)))
                read_by.append(sent[before:])

    assert [await proposed_case(direct, m) for m in made] == [best, second]
    # the first answer reads the member's candidates and those of the other members its
    # explanation lists; the second reads none of them again
    assert reads_of_waiting_candidates(read_by[0]) >= 1
    assert reads_of_waiting_candidates(read_by[1]) == 0
    assert [counts_read(r) for r in read_by] == [1, 0]
    first, then = [await explanation(direct, m) for m in made]
    # the second answer's explanation knows the first proposal: its winner waits no more
    assert f"ref{best.hex}" not in {c["client_ref"] for c in then["candidates"]}
    assert len(then["candidates"]) == len(first["candidates"]) - 1
    assert then["pool"]["owed_member_waiting"] == first["pool"]["owed_member_waiting"] - 1
    assert then["pool"]["in_other_proposals"] == first["pool"]["in_other_proposals"] + 1


@pytest.mark.parametrize("meanwhile", ["withdrawn", "needs more bedrooms"])
async def test_a_candidate_taken_or_changed_meanwhile_is_not_proposed_nor_tried_again(
    scenario: Scenario, direct: Direct, meanwhile: str,
) -> None:
    """Another transaction withdraws the next candidate, or changes its profile so that it no
    longer fits, after the first answer read the pool: the second answer sees that when it
    locks the candidate and proposes the one after; the third answer of the transaction does
    not try it again."""
    member = scenario.member()
    _, taken, last = await three_waiting(direct, member)
    homes = await direct.add_allocating_homes(3, asked=[member])
    change = {"status": "withdrawn"} if meanwhile == "withdrawn" else {
        "profile": profile(required_bedrooms=3, urgency="high").model_dump(mode="json")}
    sent, [_, second, third] = await answers_with_a_change_between(
        direct, member, homes, taken, change)

    assert await proposed_case(direct, second) == last
    assert third is None  # the member has nobody left: the home asks again
    assert (await direct.home(homes[2])).allocation_round == 2
    assert locks_of(sent, taken) == 1


async def test_a_candidate_as_read_is_proposed_without_locking_it_beforehand(
    scenario: Scenario, direct: Direct,
) -> None:
    """Its row is checked in the statement that proposes it (`seen_as_read`)."""
    member = scenario.member()
    best, second, _ = await three_waiting(direct, member)
    homes = await direct.add_allocating_homes(2, asked=[member])
    with statements_sent(direct.engine) as sent:
        async with AsyncSession(direct.engine) as session, session.begin():
            unit = direct.services.unit(session, direct.now)
            made = [await propose_on_decision(unit, direct.round_one_answer(h, member))
                    for h in homes]
    assert [await proposed_case(direct, m) for m in made] == [best, second]
    assert locks_of(sent, best) == locks_of(sent, second) == 0
    async with direct.engine.connect() as conn:
        assert set((await conn.execute(
            sa.select(candidates.c.status, candidates.c.first_proposed_at)
            .where(candidates.c.case_id.in_([best, second])))).all()) == {
                ("proposed", direct.now)}
        assert await conn.scalar(sa.select(sa.func.count()).select_from(homes_table).where(
            homes_table.c.home_id.in_(homes), homes_table.c.status == "proposed")) == 2


@pytest.mark.parametrize("meanwhile", ["proposed and released", "another profile that fits"])
async def test_a_candidate_changed_since_it_was_read_is_locked_and_looked_at_again(
    scenario: Scenario, direct: Direct, meanwhile: str,
) -> None:
    """Another transaction changes the next candidate after the first answer read the pool,
    in a way that keeps it waiting and eligible: the second answer's proposal of it as read
    changes nothing, and the answer locks it, reads it again and proposes it — so that what
    the proposal says (its first proposal or not, the profile in the explanation) is what the
    row holds."""
    member = scenario.member()
    _, changed, _ = await three_waiting(direct, member)
    homes = await direct.add_allocating_homes(2, asked=[member])
    earlier = direct.now - timedelta(days=30)
    change = {"first_proposed_at": earlier} if meanwhile.startswith("proposed") else {
        "profile": profile(urgency="urgent", support_hours_per_week=6).model_dump(mode="json")}
    sent, [_, second] = await answers_with_a_change_between(
        direct, member, homes, changed, change)
    assert await proposed_case(direct, second) == changed
    assert locks_of(sent, changed) == 1
    proposed = await explanation(direct, second)
    [winner] = [c for c in proposed["candidates"] if c["client_ref"] == f"ref{changed.hex}"]
    async with direct.engine.connect() as conn:
        first = await conn.scalar(sa.select(candidates.c.first_proposed_at)
                                  .where(candidates.c.case_id == changed))
    if meanwhile.startswith("proposed"):
        assert (first, winner["urgency"]) == (earlier, "high")
    else:
        assert (first, winner["urgency"]) == (direct.now, "urgent")  # as locked, not as read


async def test_a_transaction_holding_the_pool_lock_reads_the_pool_afresh(
    scenario: Scenario, direct: Direct,
) -> None:
    """Such a transaction may bring candidates in (an intake), so nothing it read is kept."""
    member = scenario.member()
    await direct.add_candidate(member)
    for hold in (False, True):
        async with AsyncSession(direct.engine) as session:
            await session.begin()
            unit = direct.services.unit(session, direct.now)
            if hold:
                await unit.hold_pool()
            before = await pool_seen.waiting_candidates(unit, [member])
            await session.execute(sa.insert(candidates).values(
                case_id=uuid.uuid4(), client_ref="ref-new", member_id=member,
                profile=profile().model_dump(mode="json"), status="waiting",
                submitted_at=direct.now))
            after = await pool_seen.waiting_candidates(unit, [member])
            assert len(after) == len(before) + (1 if hold else 0)
            await session.rollback()


async def test_what_is_kept_proposes_and_explains_exactly_what_reading_afresh_would(
    scenario: Scenario, direct: Direct, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seven answers for three members in one transaction — proposals, a member with only an
    ineligible candidate left, a member with nobody left — handled once with the pool kept
    and once reading it afresh for every answer, on the same snapshot: the same candidates,
    the same explanations (candidates listed, their exclusions and ranks, the pool's counts)
    and the same homes asking again. The explanation lists other members while they fit
    under two candidates here, so that the counts kept decide which members it lists."""
    monkeypatch.setattr(mediate, "members_to_list", partial(members_to_list, cap=2))
    one, two, three = scenario.member(1), scenario.member(2), scenario.member(3)
    await three_waiting(direct, one)
    await direct.add_candidate(one, urgency="urgent", required_bedrooms=2)  # too few rooms
    await direct.add_candidate(two, urgency="high")
    await direct.add_candidate(two, max_rent="500.00")  # the rent is too high
    await direct.add_candidate(three)
    named = [one, two, one, three, two, one, one]
    asked = await direct.add_allocating_homes(len(named), asked=[one, two, three])

    async def answers(session: AsyncSession) -> list[tuple[Any, ...]]:
        outcomes: list[tuple[Any, ...]] = []
        for home_id, member in zip(asked, named, strict=True):
            match_id = await propose_on_decision(direct.services.unit(session, direct.now),
                                                 direct.round_one_answer(home_id, member))
            if match_id is None:
                home = (await session.execute(sa.select(
                    homes.c.status, homes.c.allocation_round, homes.c.requested_members,
                ).where(homes.c.home_id == home_id))).one()
                outcomes.append(("asked again", *home))
            else:
                match = (await session.execute(sa.select(
                    matches.c.case_id, matches.c.explanation,
                ).where(matches.c.match_id == match_id))).one()
                outcomes.append(("proposed", *match))
        return outcomes

    async with AsyncSession(direct.engine) as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        kept_run = await session.begin_nested()
        with statements_sent(direct.engine) as sent_kept:
            # as the consumer's `prepare` does: the answers' homes locked at once
            await lock_answered_homes(session, [
                (direct.round_one_answer(home_id, member), None)  # type: ignore[misc]
                for home_id, member in zip(asked, named, strict=True)])
            kept = await answers(session)
        await kept_run.rollback()
        monkeypatch.setattr(pool_seen, "_kept", lambda unit: None)  # every answer reads
        fresh_run = await session.begin_nested()
        with statements_sent(direct.engine) as sent_fresh:
            fresh = await answers(session)
        await fresh_run.rollback()
        await session.rollback()

    assert [o[0] for o in kept] == ["proposed", "proposed", "proposed", "proposed",
                                    "asked again", "proposed", "asked again"]
    explained = [o[2] for o in kept if o[0] == "proposed"]
    assert any(c["excluded_because"] for e in explained for c in e["candidates"])
    assert any(e["pool"]["not_listed_members"] for e in explained)  # the cap was reached
    assert kept == fresh
    # homes locked: all seven at once, then again by the two answers that ask again
    # (`request_allocation` after the owed member had nobody left), against one each
    assert (home_locks(sent_kept), home_locks(sent_fresh)) == (3, 9)
