"""Matching reads intake's events and the contingent's in two lanes side by side (one
consumer group, one inbox), and keeps proposals, homes waiting again and candidates
entering the pool in separate transactions."""

from __future__ import annotations

import uuid

import pytest

from services.matching.adapters.kafka import handlers
from services.matching.adapters.kafka.handlers import pool_lock_for
from services.matching.main import create_app
from shared.events.contingent import AllocationDecided
from shared.events.intake import IntakeSubmitted, IntakeWithdrawn, MatchingProfile
from shared.topics import events_topic


def answer(member_id: str | None) -> AllocationDecided:
    return AllocationDecided(home_id=uuid.uuid4(), contingent_year=2031, round=1,
                             member_id=member_id, home_number=1, skipped=False, reason="test")


def test_matching_reads_intake_and_contingent_events_in_two_lanes_of_one_group() -> None:
    runtime = create_app().state.runtime
    lanes = sorted((tuple(t.name for t in s.topics), s.group_id)
                   for s in runtime.broker.subscribers)
    assert lanes == [((events_topic("contingent"),), "matching-consumer"),
                     ((events_topic("intake"),), "matching-consumer")]


def test_an_answer_naming_a_member_goes_without_the_pool_lock_and_homes_share_it() -> None:
    assert pool_lock_for(answer("m1")) is None
    assert pool_lock_for(answer(None)) == "shared"  # its home waits again: only a home enters
    assert pool_lock_for(IntakeWithdrawn(
        client_ref="ref00001", member_id="m1", reason="other")) == "exclusive"
    kinds = {pool_lock_for(answer("m1")), pool_lock_for(answer(None)),
             pool_lock_for(IntakeWithdrawn(client_ref="ref00001", member_id="m1",
                                           reason="other"))}
    assert len(kinds) == 3  # never one transaction: a shared holder cannot take it exclusively


async def test_answers_lock_their_homes_at_once_only_in_a_transaction_without_the_pool_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    locked: list[list[uuid.UUID]] = []

    async def lock_homes(session: object, home_ids: list[uuid.UUID]) -> None:
        locked.append(list(home_ids))

    monkeypatch.setattr(handlers, "lock_homes", lock_homes)
    withdrawn = IntakeWithdrawn(client_ref="ref00001", member_id="m1", reason="other")
    named = [answer("m1"), answer("m2")]
    await handlers.lock_answered_homes(None, [(a, None) for a in named])  # type: ignore[misc]
    assert locked == [[a.home_id for a in named]]
    # the pool lock comes before any home: a transaction taking it locks nothing in advance
    for other in (answer(None), withdrawn):
        await handlers.lock_answered_homes(
            None, [(a, None) for a in [*named, other]])  # type: ignore[misc]
    assert len(locked) == 1


async def test_only_a_transaction_of_intakes_alone_asks_about_homes_at_its_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at_commit: list[object] = []
    locked: list[list[uuid.UUID]] = []

    async def lock_homes(session: object, home_ids: list[uuid.UUID]) -> None:
        locked.append(list(home_ids))

    monkeypatch.setattr(handlers, "ask_homes_at_commit", at_commit.append)
    monkeypatch.setattr(handlers, "lock_homes", lock_homes)
    submitted = IntakeSubmitted(client_ref="ref00001", member_id="m1", consent=True,
                                profile=MatchingProfile.model_validate({
                                    "household": {"adults": 1, "children": 0},
                                    "required_bedrooms": 1, "monthly_income": "1500.00",
                                    "max_rent": "700.00", "ready_from": "2027-01-01"}))
    withdrawn = IntakeWithdrawn(client_ref="ref00001", member_id="m1", reason="other")
    named = [answer("m1"), answer("m2")]
    for session, events in (("intakes", [submitted, submitted]),
                            ("mixed", [submitted, withdrawn]), ("answers", named)):
        await handlers.prepare(session, [(e, None) for e in events])  # type: ignore[arg-type,misc]
    assert at_commit == ["intakes"]
    assert locked == [[a.home_id for a in named]]
