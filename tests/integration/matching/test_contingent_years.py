"""A home asks the contingent only about the members of its contingent year, as ContingentSet
and Redistributed name them; a year matching has not heard of limits nothing.

Every waiting candidate and home is looked at, so each test has a database of its own
(migrated from scratch), where no other test's pool is."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.matching.adapters.db.repository import home_from
from services.matching.adapters.db.tables import candidates, homes, outbox
from services.matching.adapters.email import NotificationTable
from services.matching.adapters.http.schemas import HomeIn
from services.matching.adapters.metrics import PrometheusThroughput
from services.matching.application import contingent_years
from services.matching.application.mediate import eligible_members_for
from services.matching.application.offer_home import offer_home
from services.matching.application.unit import Services, Unit
from services.matching.settings import MatchingSettings
from shared.clock import ManualClock
from shared.events.contingent import (
    ContingentSet,
    Redistributed,
    RedistributedShare,
    ShareLine,
)
from shared.outbox import Outbox
from tests.conftest import migrated
from tests.integration.matching.support import profile

pytestmark = pytest.mark.infra

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
YEAR = 2027
OFFER = {"municipality": "Enschede", "postcode4": "7511", "bedrooms": 1, "rent": "600.00",
         "available_from": "2027-04-01", "contingent_year": YEAR}


@pytest.fixture
async def engine(scratch_database: str) -> AsyncIterator[AsyncEngine]:
    async with migrated(scratch_database, "matching") as engine:
        yield engine


SERVICES = Services(Outbox(outbox, "matching", ManualClock(NOW)), MatchingSettings().rules(),
                    NotificationTable(enabled=False), PrometheusThroughput())


async def in_transaction(engine: AsyncEngine, work: Any) -> Any:
    async with AsyncSession(engine) as session, session.begin():
        return await work(SERVICES.unit(session, NOW))


async def waiting(engine: AsyncEngine, *members: str) -> None:
    """A waiting candidate of each member, eligible for the home of OFFER."""
    async with engine.begin() as conn:
        await conn.execute(sa.insert(candidates), [dict(
            case_id=uuid.uuid4(), client_ref=f"ref{m}", member_id=m,
            profile=profile().model_dump(mode="json"), status="waiting", submitted_at=NOW)
            for m in members])


def contingent(*members: str) -> ContingentSet:
    return ContingentSet(year=YEAR, total_homes=10, method="sainte_lague", shares=[
        ShareLine(member_id=m, need=5, share=10 // len(members)) for m in members])


def redistribution(*members: str) -> Redistributed:
    return Redistributed(year=YEAR, cause="coordinator", pool=4, unallocated=0, shares=[
        RedistributedShare(member_id=m, unmet_need=2, share_before=0, share_after=2)
        for m in members])


async def asked_about(engine: AsyncEngine, year: int = YEAR) -> list[str]:
    """The members a home of OFFER (of `year`) would ask the contingent about now."""
    async def members(unit: Unit) -> list[str]:
        home = await offer_home(unit, "corp", HomeIn(**{**OFFER, "contingent_year": year})
                                .model_dump())
        row = (await unit.session.execute(
            sa.select(homes.c.offer, homes.c.contingent_year, homes.c.corporation_id)
            .where(homes.c.home_id == home))).one()
        return await eligible_members_for(
            unit, home_from(home, row.corporation_id, row.contingent_year, row.offer),
            frozenset())

    async with AsyncSession(engine) as session:
        found: list[str] = await members(SERVICES.unit(session, NOW))
        await session.rollback()  # look, do not keep the home
    return found


async def requests(engine: AsyncEngine) -> list[list[str]]:
    """The members each AllocationRequested in the outbox named, oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(outbox.c.payload).where(
            outbox.c.event_type == "AllocationRequested").order_by(outbox.c.id))
    return [r.payload["data"]["eligible_members"] for r in rows]


async def test_a_home_asks_only_about_the_members_of_its_year(engine: AsyncEngine) -> None:
    await waiting(engine, "a", "b", "c")
    assert await asked_about(engine) == ["a", "b", "c"]  # a year not heard of: everyone

    await in_transaction(engine, lambda u: contingent_years.contingent_set(u, contingent("a")))
    assert await asked_about(engine) == ["a"]
    assert await asked_about(engine, year=YEAR + 1) == ["a", "b", "c"]  # another year

    await in_transaction(engine, lambda u: contingent_years.shares_redistributed(
        u, redistribution("a", "b")))  # b joins mid-year
    assert await asked_about(engine) == ["a", "b"]

    await in_transaction(engine, lambda u: contingent_years.contingent_set(
        u, contingent("c")))  # the year set again, from scratch: only c now
    assert await asked_about(engine) == ["c"]


async def test_a_home_nobody_of_its_year_fits_waits_without_asking_until_one_joins(
        engine: AsyncEngine) -> None:
    await in_transaction(engine, lambda u: contingent_years.contingent_set(u, contingent("a")))
    await waiting(engine, "b")  # fits the home, but b has no share in the year

    home_id = await in_transaction(
        engine, lambda u: offer_home(u, "corp", HomeIn(**OFFER).model_dump()))
    assert await requests(engine) == []  # nobody to ask about: it waits

    asked = await in_transaction(engine, lambda u: contingent_years.shares_redistributed(
        u, redistribution("a", "b")))
    assert asked == 1 and await requests(engine) == [["b"]]
    async with engine.connect() as conn:
        status = (await conn.execute(sa.select(homes.c.status)
                                     .where(homes.c.home_id == home_id))).scalar_one()
    assert status == "allocating"


async def test_a_new_candidate_looks_only_at_the_homes_whose_question_it_could_change(
        engine: AsyncEngine) -> None:
    """A candidate can only add its own member to what a waiting home asks: homes of a year
    the member has no part in, and homes that asked about the member already, are not
    loaded (a year matching has not heard of still asks about everyone)."""
    from services.matching.adapters.db.repository import (
        candidate_from_row,
        waiting_homes_admitting,
    )

    await in_transaction(engine, lambda u: contingent_years.contingent_set(u, contingent("a")))
    this_year = await in_transaction(
        engine, lambda u: offer_home(u, "corp", HomeIn(**OFFER).model_dump()))
    unheard_of = await in_transaction(engine, lambda u: offer_home(
        u, "corp", HomeIn(**{**OFFER, "contingent_year": YEAR + 1}).model_dump()))
    await waiting(engine, "a", "b")

    async def looked_at(member: str) -> set[uuid.UUID]:
        async with AsyncSession(engine) as session:
            row = (await session.execute(sa.select(candidates).where(
                candidates.c.member_id == member))).one()
            found = await waiting_homes_admitting(session, candidate_from_row(row), 14)
        return {r.home_id for r in found}

    assert await looked_at("a") == {this_year, unheard_of}
    assert await looked_at("b") == {unheard_of}  # b has no part in YEAR

    async with engine.begin() as conn:  # the YEAR home asked about a already, and waits
        await conn.execute(sa.update(homes).where(homes.c.home_id == this_year)
                           .values(status="waiting", requested_members=["a"]))
    assert await looked_at("a") == {unheard_of}


async def test_an_explanation_considers_only_the_members_of_the_homes_year(
        engine: AsyncEngine) -> None:
    """The home could never be owed to a member with no part in its year: its candidates are
    neither listed nor counted in the explanation of a proposal."""
    from services.matching.application.mediate import propose_on_decision
    from shared.events.contingent import AllocationDecided

    await in_transaction(engine, lambda u: contingent_years.contingent_set(
        u, contingent("alpha", "bravo")))
    await waiting(engine, "alpha", "bravo", "carol")  # carol fits, but takes no part in YEAR
    home_id = await in_transaction(
        engine, lambda u: offer_home(u, "corp", HomeIn(**OFFER).model_dump()))
    assert await requests(engine) == [["alpha", "bravo"]]

    answer = AllocationDecided(home_id=home_id, contingent_year=YEAR, round=1, member_id="alpha",
                               home_number=1, skipped=False, reason="test")
    match_id = await in_transaction(engine, lambda u: propose_on_decision(u, answer))
    async with engine.connect() as conn:
        explanation = (await conn.execute(sa.text(
            "SELECT explanation FROM matching.matches WHERE match_id = :m"),
            {"m": match_id})).scalar_one()
    assert {c["member_id"] for c in explanation["candidates"]} == {"alpha", "bravo"}
    assert explanation["pool"]["not_listed_members"] == []
    assert explanation["pool"]["not_listed_waiting"] == 0

    # and loading the match for a decision leaves the explanation in the database
    from services.matching.adapters.db.repository import get_match, open_match_of
    async with AsyncSession(engine) as session:
        for row in (await get_match(session, match_id, lock=True),
                    await open_match_of(session, home_id=home_id)):
            assert row is not None and row.status == "proposed"
            assert "explanation" not in row._mapping
