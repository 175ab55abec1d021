"""The periodic safety net (main.py's `revisit`): a home waiting for somebody asks the
contingent again when its eligible members changed unseen, and the pass that looks for such
homes takes no lock, so the homes nothing happened to never queue for the pool lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.application.mediate import homes_worth_revisiting
from tests.integration.matching.support import Direct, Scenario
from tests.support.kafka import eventually
from tests.support.statements import statements_sent

pytestmark = pytest.mark.infra

DAY = timedelta(hours=24)


async def test_the_safety_net_proposes_a_candidate_who_entered_the_pool_unseen(
    scenario: Scenario,
) -> None:
    """The candidate is written into matching's table directly: no IntakeSubmitted, so no
    event makes the waiting home ask. Only the periodic revisit (every 2 s here) can."""
    s = scenario
    member = s.member()
    await s.contingent({member: 5})
    home_id = await s.offer()

    async def waits() -> bool:
        return await s.sql_value("SELECT status FROM matching.homes WHERE home_id = :h",
                                 h=home_id) == "waiting"

    await eventually(waits)
    direct = Direct(s, await s.now())
    try:
        case_id = await direct.add_candidate(member)
        proposal = await s.open_proposal(home_id, seconds=30)
        assert proposal["case_id"] == str(case_id)
    finally:
        await direct.close()


async def test_the_first_pass_picks_only_homes_a_revisit_could_make_ask_and_locks_nothing(
    scenario: Scenario,
) -> None:
    s = scenario
    now = await s.now()
    direct = Direct(s, now)
    try:
        nobody = await direct.offer(rent="2500.00")  # no candidate anywhere pays that
        [asking] = await direct.add_allocating_homes(1, asked=[s.member()])
        async with AsyncSession(direct.engine) as session:
            with statements_sent(direct.engine) as sent:
                picked = await homes_worth_revisiting(
                    direct.services.unit(session, now), stale_after=DAY)
            a_day_on = await homes_worth_revisiting(
                direct.services.unit(session, now + DAY), stale_after=DAY)
        assert nobody not in picked and asking not in picked  # nothing changed
        assert asking in a_day_on  # its answer never came: asked again
        assert nobody not in a_day_on  # stale, but nobody to ask about
        assert sent, "the pass read nothing"
        assert not [x.statement for x in sent
                    if "FOR UPDATE" in x.statement or "pg_advisory" in x.statement]
    finally:
        await direct.close()
