"""Nothing lost, nothing doubled: a region driven over HTTP while services are killed with
SIGKILL (24 times, each service in turn, at random moments), the Kafka broker is stopped and
started, PostgreSQL is stopped and later crashed and started, and one consumer stays away
long enough to come back to a backlog on every partition — then every event is delivered a
second time, in another order across partitions. After each, reconciliation
(tests/faults/reconcile.py) compares every service's state with the event log and with the
other services.

Each reconciliation check is shown to fail on a snapshot with its promise broken
(`test_each_reconciliation_check_catches_its_broken_promise`). The mechanisms were broken
once by hand to see the whole suite fail (docs/reliability.md): with the consumer's inbox
claim skipped (`IdempotentConsumer._claim` always True; the consumer now also handles several
events per transaction, where `_claim_all` recognises them), the second delivery
writes a second `consumed` ledger entry per tenancy and a second trajectory is refused — "no
tenancy without exactly one consumed ledger entry" fails; with the outbox relay marking rows
published before Kafka acknowledged them, the Kafka stop loses events — "committed to the
outbox but is not on Kafka" and "missing from its inbox" fail. (That was the relay before
round eighteen. Its round is now one transaction that commits the marks after the acks; a
run of this suite with the marks committed before publishing passed — the producer holds
what it could not send until Kafka is back — so
`test_outbox_relay.py::test_a_round_kafka_fails_marks_nothing_published` shows that one.)
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.faults.eventlog import Record, quiesce, replay
from tests.faults.reconcile import (
    CHECKS,
    Snapshot,
    gather,
    reconcile,
    report,
)
from tests.faults.run import SEED, FaultRun

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]


def test_after_kills_and_restarts_every_service_agrees_with_the_event_log(
    faulted_run: FaultRun,
) -> None:
    run = faulted_run
    print(f"\nfaulted run: {run.wall_seconds:.0f}s, {run.faults.total_kills} kills "
          f"{dict(run.faults.kills)}, Kafka restarts {run.faults.kafka_restarts}, PostgreSQL "
          f"restarts {run.faults.postgres_restarts} + crashes {run.faults.postgres_crashes}, "
          f"driver {dict(run.driven.counts)}, {run.driven.retries} retried requests, "
          f"{len(run.snapshot.events)} events on Kafka")
    print("\n".join(run.faults.timeline))
    assert run.faults.total_kills >= 20
    assert run.faults.kafka_restarts >= 1 and run.faults.postgres_restarts >= 1
    assert run.driven.counts["tenancies"] >= 5, "the run must get as far as tenancies"
    assert run.driven.counts["declines"] >= 1, "and decline some proposals"
    problems = reconcile(run.snapshot)
    assert not any(problems.values()), report(problems)


def _metric_sum(texts: list[str], name: str, **labels: str) -> float:
    total = 0.0
    for text in texts:
        for line in text.splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line
                                                   for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


def test_every_event_delivered_twice_in_another_order_changes_nothing(
    faulted_run: FaultRun,
) -> None:
    env, run = faulted_run.env, faulted_run

    async def again() -> tuple[int, Snapshot, list[str], list[str]]:
        async with httpx.AsyncClient(timeout=10) as http:
            before = [(await http.get(f"{u}/metrics")).text for u in env.urls.values()]
            sent = await replay(env.bootstrap, run.snapshot.events, seed=SEED)
            await quiesce(env.bootstrap, env.dsn)
            after = [(await http.get(f"{u}/metrics")).text for u in env.urls.values()]
        snap = await gather(env.urls, env.bootstrap, env.dsn, year=run.region.year,
                            members=run.region.members, corporations=run.region.corporations,
                            accepted_cases=run.driven.accepted_cases,
                            withdrawn_cases=run.driven.withdrawn_cases)
        return sent, snap, before, after

    sent, twice, before, after = asyncio.run(again())
    once = run.snapshot
    run.faults.note(f"replayed {sent} events")
    print(f"\nreplayed {sent} events, in another order across partitions")
    assert sent == len(once.events)
    assert len(twice.events) == len(once.events) + sent, \
        "a second delivery made a service publish something new"
    assert set(twice.distinct_events()) == set(once.distinct_events())
    for part in ("intake_cases", "candidates", "matches", "homes", "ledger", "shares",
                 "trajectories", "inbox"):
        assert getattr(twice, part) == getattr(once, part), f"{part} changed on redelivery"
    duplicates = (_metric_sum(after, "transferpunt_events_consumed_total", outcome="duplicate")
                  - _metric_sum(before, "transferpunt_events_consumed_total",
                                outcome="duplicate"))
    handled = sum(1 for service, inbox in once.inbox.items() for _ in inbox)
    assert duplicates >= handled, f"{duplicates} duplicates seen, {handled} expected"
    problems = reconcile(twice)
    assert not any(problems.values()), report(problems)


# ---- every check can fail -----------------------------------------------------------------


def _first(items: list[dict[str, Any]], **where: Any) -> dict[str, Any]:
    return next(i for i in items if all(i.get(k) == v for k, v in where.items()))


def _lose_a_case(s: Snapshot) -> None:
    s.intake_cases.pop(next(iter(s.accepted_cases)))


def _consume_twice(s: Snapshot) -> None:
    entry = _first(s.ledger, kind="consumed")
    s.ledger.append({**entry, "sequence": 10**9, "event_id": str(uuid.uuid4())})


def _propose_a_home_twice(s: Snapshot) -> None:
    """A second MatchProposed for a home whose first proposal never ended (it was let)."""
    let = _first(s.matches, status="tenancy_started")
    first = next(r for r in s.events if r.envelope.get("type") == "MatchProposed"
                 and r.envelope["data"]["match_id"] == let["match_id"])
    second = copy.deepcopy(first.envelope)
    second.update(event_id=str(uuid.uuid4()), case_id=str(uuid.uuid4()))
    second["data"]["match_id"] = str(uuid.uuid4())
    s.events.append(Record(first.topic, first.partition, 10**9, None,
                           json.dumps(second).encode(), ()))


def _spend_quota_twice(s: Snapshot) -> None:
    member = _first(s.ledger, kind="consumed")["member_id"]
    s.shares[member] = {**s.shares[member], "used": s.shares[member]["used"] + 1}


def _leave_an_outbox_row(s: Snapshot) -> None:
    event_id = next(iter(s.outbox["matching"]))
    s.outbox["matching"][event_id] = False


def _lose_an_inbox_row(s: Snapshot) -> None:
    event_id = next(i for i, outcome in s.inbox["contingent"].items() if outcome == "processed")
    del s.inbox["contingent"][event_id]


def _dead_letter_one(s: Snapshot) -> None:
    s.dead_letters.append(Record("transferpunt.aftercare.dead-letters", 0, 0, None, b"{}",
                                 (("dlq_kind", b"processing_failed"),)))


def _disagree_about_a_case(s: Snapshot) -> None:
    case_id = next(c for c, status in s.intake_cases.items() if status == "housed")
    s.candidates[case_id] = "waiting"


BREAKS: dict[str, Callable[[Snapshot], None]] = {
    "no accepted intake without its case": _lose_a_case,
    "no tenancy without exactly one consumed ledger entry": _consume_twice,
    "no home or client in two proposals at once": _propose_a_home_twice,
    "no member's quota spent twice": _spend_quota_twice,
    "no outbox row unpublished, nothing on Kafka uncommitted": _leave_an_outbox_row,
    "every handled event processed": _lose_an_inbox_row,
    "nothing dead-lettered": _dead_letter_one,
    "services agree about every case": _disagree_about_a_case,
}


def test_every_check_has_a_way_to_break_it() -> None:
    assert set(BREAKS) == set(CHECKS)


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_each_reconciliation_check_catches_its_broken_promise(
    check: str, faulted_run: FaultRun
) -> None:
    broken = copy.deepcopy(faulted_run.snapshot)
    assert not CHECKS[check](broken), "the run itself must pass this check"
    BREAKS[check](broken)
    assert CHECKS[check](broken), f"{check!r} did not notice its promise broken"
