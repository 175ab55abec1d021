"""Two homes processed at the same moment never propose the same candidate, and a candidate
arriving while a home waits for the contingent's answer is not missed."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from services.matching.application.unit import POOL_LOCK
from tests.integration.matching.support import Direct, Scenario, auth
from tests.support.kafka import eventually
from tests.support.statements import statements_sent

pytestmark = pytest.mark.infra


async def test_two_homes_offered_at_once_never_propose_the_same_candidate(
    scenario: Scenario,
) -> None:
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    only = await s.intake(member)
    corporation = auth("corporation", s.corporation())
    responses = await asyncio.gather(*(
        s.http.post(f"{s.url}/homes", headers=corporation, json=s.home(postcode4=postcode))
        for postcode in ("7511", "7512")))
    assert [r.status_code for r in responses] == [201, 201]
    home_ids = [r.json()["home_id"] for r in responses]

    proposals = await asyncio.gather(*(s.open_proposal(h, seconds=10) for h in home_ids),
                                     return_exceptions=True)
    made = [p for p in proposals if isinstance(p, dict)]
    assert len(made) == 1 and made[0]["case_id"] == str(only.case_id)

    async def settled() -> bool:  # every answer of the contingent has arrived
        return sorted([await s.home_status(h) for h in home_ids]) == ["proposed", "waiting"]

    await eventually(settled)
    open_for_client = await s.sql_value(
        "SELECT count(*) FROM matching.matches WHERE case_id = :c "
        "AND status IN ('proposed', 'accepted')", c=only.case_id)
    assert open_for_client == 1


async def test_concurrent_transactions_proposing_one_candidate_for_many_homes_propose_once(
    scenario: Scenario,
) -> None:
    """The use case itself, raced in parallel transactions against the real database."""
    s = scenario
    member = s.member()
    direct = Direct(s, await s.now())  # business time: the service's expiry leaves it be
    try:
        case_id = await direct.add_candidate(member)
        home_ids = await direct.add_allocating_homes(6, asked=[member])

        made = await asyncio.gather(*(direct.answer(h, member) for h in home_ids))

        assert len([m for m in made if m is not None]) == 1
        open_for_client = await s.sql_value(
            "SELECT count(*) FROM matching.matches WHERE case_id = :c", c=case_id)
        assert open_for_client == 1
        statuses = [(await direct.home(h)).status for h in home_ids]
        assert statuses.count("proposed") == 1
    finally:
        await direct.close()


async def test_a_candidate_arriving_while_the_contingent_decides_is_not_missed(
    scenario: Scenario,
) -> None:
    """The home asked about other members; meanwhile a fitting client arrived (and skipped the
    home, whose answer was on its way). An answer naming nobody makes it ask again at once."""
    s = scenario
    early, late = s.member(1), s.member(2)
    direct = Direct(s, await s.now())
    try:
        [home_id] = await direct.add_allocating_homes(1, asked=[early])
        await direct.add_candidate(late)

        assert await direct.answer(home_id, None) is None

        home = await direct.home(home_id)
        assert home.status == "allocating" and home.allocation_round == 2
        assert late in home.requested_members
    finally:
        await direct.close()


async def test_a_home_and_an_intake_arriving_at_the_same_moment_always_meet(
    scenario: Scenario,
) -> None:
    """Each arrives in its own transaction, in parallel: whichever commits second must see
    the other, or the home would wait for nobody."""
    s = scenario
    direct = Direct(s, await s.now())
    try:
        for attempt in range(20):
            member = s.member(10 + attempt)
            # each pair on a date of its own, so only this attempt's client fits this home
            available = date(2026, 6, 1) - timedelta(days=10 * attempt)
            home_id, _ = await asyncio.gather(
                direct.offer(available_from=available.isoformat()),
                direct.submit(member, ready_from=(available - timedelta(days=1)).isoformat()))
            home = await direct.home(home_id)
            assert member in (home.requested_members or []), f"missed on attempt {attempt}"
    finally:
        await direct.close()


async def test_an_answer_naming_a_member_does_not_wait_for_the_pool_lock_and_nobody_does(
    scenario: Scenario,
) -> None:
    """Handled by the consumer's handler as on Kafka: while another transaction holds the pool
    lock (an offer, an intake), an answer naming a member still becomes a proposal — it brings
    nothing into the pool — but an answer naming nobody waits, since its home waits again."""
    s = scenario
    member = s.member()
    direct = Direct(s, await s.now())
    handle = direct.handlers()["AllocationDecided"]
    try:
        case_id = await direct.add_candidate(member)
        named, nobody = await direct.add_allocating_homes(2, asked=[member])
        async with direct.engine.connect() as holder, holder.begin():
            await holder.execute(sa.select(sa.func.pg_advisory_xact_lock(POOL_LOCK)))

            await asyncio.wait_for(direct.handle(handle, named, member), timeout=10)
            waiting = asyncio.create_task(direct.handle(handle, nobody, None))
            await asyncio.sleep(1.0)
            assert not waiting.done(), "an answer naming nobody went ahead of the pool lock"
        await asyncio.wait_for(waiting, timeout=10)

        proposed = await s.sql_value(
            "SELECT home_id FROM matching.matches WHERE case_id = :c", c=case_id)
        assert proposed == named
        # the answer was acted on: the home waits, or (other tests' clients fit it) asked again
        after = await direct.home(nobody)
        assert after.status == "waiting" or after.allocation_round == 2
    finally:
        await direct.close()


async def test_offers_share_the_pool_lock_and_take_turns_only_with_intakes(
    scenario: Scenario,
) -> None:
    """Homes need not see each other, only the candidates: while another offer holds the pool
    lock, an offer (and an answer naming nobody, whose home waits again) goes ahead, but an
    intake waits for them; while an intake holds it, an offer waits."""
    s = scenario
    direct = Direct(s, await s.now())
    handle = direct.handlers()["AllocationDecided"]
    try:
        [nobody] = await direct.add_allocating_homes(1, asked=[s.member()])
        async with direct.engine.connect() as offer, offer.begin():
            await offer.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(POOL_LOCK)))

            await asyncio.wait_for(direct.offer(), timeout=10)
            await asyncio.wait_for(direct.handle(handle, nobody, None), timeout=10)
            intake = asyncio.create_task(direct.submit(s.member()))
            await asyncio.sleep(1.0)
            assert not intake.done(), "an intake went ahead of an offer holding the pool lock"
        await asyncio.wait_for(intake, timeout=10)

        async with direct.engine.connect() as intake_tx, intake_tx.begin():
            await intake_tx.execute(sa.select(sa.func.pg_advisory_xact_lock(POOL_LOCK)))
            offering = asyncio.create_task(direct.offer())
            await asyncio.sleep(1.0)
            assert not offering.done(), "an offer went ahead of an intake holding the pool lock"
        await asyncio.wait_for(offering, timeout=10)
    finally:
        await direct.close()


async def test_a_proposal_costs_few_round_trips_and_writes_all_three_rows(
    scenario: Scenario,
) -> None:
    """Every statement is a round trip to PostgreSQL, paid while the home is locked (and on a
    busy two-core machine each costs milliseconds): the answer's home is read with its
    excluded clients, and the match, the candidate and the home are written together."""
    s = scenario
    member = s.member()
    direct = Direct(s, await s.now())
    try:
        case_id = await direct.add_candidate(member)
        [home_id] = await direct.add_allocating_homes(1, asked=[member])
        with statements_sent(direct.engine) as sent:
            match_id = await direct.answer(home_id, member)

        assert match_id is not None
        assert len(sent) <= 7, "\n".join(s.statement.split("\n")[0][:90] for s in sent)
        assert (await direct.home(home_id)).status == "proposed"
        row = await s.sql_value(
            "SELECT status || ' ' || (first_proposed_at IS NOT NULL) "
            "FROM matching.candidates WHERE case_id = :c", c=case_id)
        assert row == "proposed true"
        assert await s.sql_value("SELECT home_id FROM matching.matches WHERE match_id = :m",
                                 m=match_id) == home_id
    finally:
        await direct.close()
