"""Reconciliation: every service's state, compared with the event log and with each other.

`gather` reads the state once the system is at rest: the services' own views over HTTP with
a coordinator token (intake's cases, matching's homes and proposals, the contingent's view
and ledger, aftercare's trajectories), what only the database shows (outboxes, inboxes,
matching's candidates) with SQL on each service's schema, and the whole event log and the
dead-letter topics from Kafka. `reconcile` is pure: it takes that snapshot and names every
broken promise, so each check can be shown to fail on a snapshot with exactly that promise
broken (tests/faults/test_faults.py does so for every check).

The promises (issue 9):
- no accepted intake without its case (in intake, on Kafka, and in matching);
- no tenancy without exactly one ledger entry of kind `consumed` (and one trajectory);
- no home proposed to two clients at once, no client proposed two homes at once;
- no member's quota spent twice: the ledger's transitions are valid, every member's `used`
  and `in_flight` equal its consumed and held homes and matching's let and open proposals;
- no outbox row left unpublished, nothing on Kafka that no outbox committed, nothing
  committed that never reached Kafka;
- every event a service handles is in its inbox as processed (nothing lost on the way in);
- nothing on a dead-letter topic (this workload sends nothing a service should refuse);
- the services agree with each other about every case's status.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import httpx

from shared.topics import ALL_EVENT_TOPICS, SERVICES
from tests.access.world import bearer
from tests.faults.eventlog import SUBSCRIBES, Record, dead_letters, read

HANDLED = {  # the event types each service's handlers take (services/*/adapters/kafka)
    "intake": {"MatchProposed", "MatchDeclined", "MatchExpired", "MatchCancelled",
               "TenancyStarted", "AftercareCompleted"},
    "matching": {"IntakeSubmitted", "IntakeUpdated", "IntakeWithdrawn", "ClientResponded",
                 "AllocationDecided", "ContingentSet"},
    "contingent": {"AllocationRequested", "TenancyStarted", "HomeWithdrawn"},
    "aftercare": {"TenancyStarted", "IntakeSubmitted"},
}
CLOSES_A_PROPOSAL = {"MatchDeclined", "MatchExpired", "MatchCancelled"}
OPEN = {"proposed", "accepted"}
# intake's status -> the candidate status matching must have for the case
AGREES = {"submitted": "waiting", "proposed": "proposed", "housed": "housed",
          "closed": "housed", "withdrawn": "withdrawn"}


@dataclass
class Snapshot:
    year: int
    members: tuple[str, ...]
    corporations: tuple[str, ...]
    accepted_cases: dict[str, str]  # what the driver was told: case_id -> member
    withdrawn_cases: set[str] = field(default_factory=set)  # withdrawals answered 200
    events: list[Record] = field(default_factory=list)
    dead_letters: list[Record] = field(default_factory=list)
    outbox: dict[str, dict[str, bool]] = field(default_factory=dict)  # schema: id -> published
    inbox: dict[str, dict[str, str]] = field(default_factory=dict)  # service: id -> outcome
    intake_cases: dict[str, str] = field(default_factory=dict)  # case_id -> status
    candidates: dict[str, str] = field(default_factory=dict)  # case_id -> status (matching)
    matches: list[dict[str, Any]] = field(default_factory=list)
    homes: dict[str, str] = field(default_factory=dict)  # home_id -> status
    ledger: list[dict[str, Any]] = field(default_factory=list)
    shares: dict[str, dict[str, Any]] = field(default_factory=dict)  # member -> view line
    trajectories: list[dict[str, Any]] = field(default_factory=list)

    # -- derived -----------------------------------------------------------------------------

    def distinct_events(self) -> dict[str, Record]:
        """The log by event id (a second delivery of the same event is the same event)."""
        found: dict[str, Record] = {}
        for r in self.events:
            event_id = str(r.envelope.get("event_id", ""))
            if event_id:
                found.setdefault(event_id, r)
        return found

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [r.envelope for r in self.distinct_events().values()
                if r.envelope.get("type") in types]


async def gather(urls: Mapping[str, str], bootstrap: str, dsn: str, *, year: int,
                 members: tuple[str, ...], corporations: tuple[str, ...],
                 accepted_cases: Mapping[str, str], withdrawn_cases: set[str]) -> Snapshot:
    snap = Snapshot(year, members, corporations, dict(accepted_cases), set(withdrawn_cases))
    snap.events = await read(bootstrap, ALL_EVENT_TOPICS)
    snap.dead_letters = await dead_letters(bootstrap)
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        for s in SERVICES:
            snap.outbox[s] = {str(r["event_id"]): r["published_at"] is not None
                              for r in await conn.fetch(
                                  f"SELECT event_id, published_at FROM {s}.outbox")}
            snap.inbox[s] = {str(r["event_id"]): r["outcome"] for r in await conn.fetch(
                f"SELECT event_id, outcome FROM {s}.processed_events WHERE consumer = $1",
                f"{s}-consumer")}
        snap.candidates = {str(r["case_id"]): r["status"] for r in await conn.fetch(
            "SELECT case_id, status FROM matching.candidates")}
    finally:
        await conn.close()
    coordinator = bearer("coordinator", "region")
    async with httpx.AsyncClient(timeout=30, headers=coordinator) as http:
        async def get(service: str, path: str, **params: Any) -> Any:
            r = await http.get(urls[service] + path, params=params)
            assert r.status_code == 200, f"{service}{path}: {r.status_code} {r.text[:200]}"
            return r.json()

        for member in members:
            offset = 0
            while page := await get("intake", "/intakes", member_id=member, limit=1000,
                                    offset=offset):
                snap.intake_cases.update({c["case_id"]: c["status"] for c in page})
                offset += len(page)
        snap.matches = [m for m in await get("matching", "/matches")
                        if m["corporation_id"] in corporations]
        snap.homes = {h["home_id"]: h["status"] for h in await get("matching", "/homes")
                      if h["corporation_id"] in corporations}
        snap.ledger = await get("contingent", f"/contingents/{year}/ledger")
        view = await get("contingent", f"/contingents/{year}")
        snap.shares = {line["member_id"]: line for line in view["shares"]}
        snap.trajectories = [t for t in await get("aftercare", "/trajectories")
                             if t["member_id"] in members]
    return snap


# ---- the checks ---------------------------------------------------------------------------


def accepted_intakes_have_their_case(s: Snapshot) -> list[str]:
    problems = []
    submitted = {str(e["case_id"]) for e in s.of_type("IntakeSubmitted")}
    for case_id in sorted(s.accepted_cases):
        if case_id not in s.intake_cases:
            problems.append(f"intake {case_id} was accepted (201) but intake has no such case")
        if case_id not in submitted:
            problems.append(f"intake {case_id} was accepted but IntakeSubmitted is not on Kafka")
    for case_id in sorted(submitted):
        if case_id not in s.candidates:
            problems.append(f"IntakeSubmitted {case_id} is on Kafka but matching has no "
                            "candidate for it")
        if case_id not in s.intake_cases:
            problems.append(f"IntakeSubmitted {case_id} is on Kafka but intake has no case")
    return problems


def tenancies_have_exactly_one_consumption(s: Snapshot) -> list[str]:
    problems = []
    started = {str(e["data"]["home_id"]): e for e in s.of_type("TenancyStarted")}
    let = {m["home_id"]: m for m in s.matches if m["status"] == "tenancy_started"}
    consumed = Counter(e["home_id"] for e in s.ledger if e["kind"] == "consumed")
    for home in sorted(set(started) | set(let) | set(consumed)):
        if home not in started:
            problems.append(f"home {home}: let or consumed, but no TenancyStarted on Kafka")
        if home not in let:
            problems.append(f"home {home}: TenancyStarted or consumed, but matching has no "
                            "let proposal for it")
        if consumed[home] != 1:
            problems.append(f"home {home}: {consumed[home]} ledger entries of kind consumed "
                            "(exactly one per tenancy)")
    opened = Counter(t["home_id"] for t in s.trajectories)
    for home in sorted(set(started) | set(opened)):
        if opened[home] != 1:
            problems.append(f"home {home}: {opened[home]} aftercare trajectories (one per "
                            "tenancy)")
    return problems


def _at(e: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(e["occurred_at"]))


def one_proposal_at_a_time(s: Snapshot) -> list[str]:
    problems = []
    proposed = s.of_type("MatchProposed")
    ended = {str(e["data"]["match_id"]): e for e in s.of_type(*CLOSES_A_PROPOSAL)}
    for subject, key in (("home", lambda e: str(e["data"]["home_id"])),
                         ("client", lambda e: str(e["case_id"]))):
        by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in proposed:
            by_subject[key(e)].append(e)
        for who, proposals in sorted(by_subject.items()):
            proposals.sort(key=_at)
            for earlier, later in itertools.pairwise(proposals):
                end = ended.get(str(earlier["data"]["match_id"]))
                if end is None or _at(end) > _at(later):
                    problems.append(
                        f"{subject} {who}: proposal {later['data']['match_id']} made while "
                        f"proposal {earlier['data']['match_id']} was still open")
    for subject, field_ in (("home", "home_id"), ("client", "case_id")):
        open_now = Counter(m[field_] for m in s.matches if m["status"] in OPEN)
        problems += [f"{subject} {who}: {n} open proposals at once in matching"
                     for who, n in sorted(open_now.items()) if n > 1]
    return problems


def quota_is_never_spent_twice(s: Snapshot) -> list[str]:
    problems = []
    holder: dict[str, str | None] = {}
    consumed_by: dict[str, str] = {}
    seen_sources: Counter[tuple[str, str]] = Counter()
    for e in sorted(s.ledger, key=lambda e: e["sequence"]):
        home, member, kind = e["home_id"], e["member_id"], e["kind"]
        seen_sources[str(e["event_id"]), kind] += 1
        if home in consumed_by:
            problems.append(f"home {home}: ledger entry {e['sequence']} ({kind}) after the "
                            f"home was already consumed by {consumed_by[home]}")
            continue
        current = holder.get(home)
        if kind == "allocated":
            if current is not None:
                problems.append(f"home {home}: allocated to {member} while held by {current}")
            holder[home] = member
        elif kind == "released":
            if current != member:
                problems.append(f"home {home}: released by {member}, held by {current}")
            holder[home] = None
        elif kind == "consumed":
            if current not in (None, member):
                problems.append(f"home {home}: consumed by {member} while held by {current}")
            consumed_by[home], holder[home] = member, None
    problems += [f"event {event_id} wrote {n} ledger entries of kind {kind}"
                 for (event_id, kind), n in sorted(seen_sources.items()) if n > 1]
    held = Counter(m for m in holder.values() if m is not None)
    used = Counter(consumed_by.values())
    let = Counter(m["member_id"] for m in s.matches if m["status"] == "tenancy_started")
    open_ = Counter(m["member_id"] for m in s.matches if m["status"] in OPEN)
    for member in sorted(set(s.shares) | set(used) | set(held) | set(let) | set(open_)):
        line = s.shares.get(member, {})
        if line.get("used", 0) != used[member] or used[member] != let[member]:
            problems.append(f"member {member}: used {line.get('used')} in the view, "
                            f"{used[member]} consumed in the ledger, {let[member]} let in "
                            "matching")
        in_flight = line.get("in_flight", 0)
        if in_flight != held[member] or held[member] != open_[member]:
            problems.append(f"member {member}: in flight {in_flight} in the view, "
                            f"{held[member]} held in the ledger, {open_[member]} open "
                            "proposals in matching")
    return problems


def outboxes_are_published_and_match_the_log(s: Snapshot) -> list[str]:
    problems = []
    on_kafka: dict[str, set[str]] = defaultdict(set)
    for event_id, r in s.distinct_events().items():
        on_kafka[r.producer].add(event_id)
    for service in SERVICES:
        rows = s.outbox.get(service, {})
        waiting = sorted(i for i, published in rows.items() if not published)
        if waiting:
            problems.append(f"{service}: {len(waiting)} outbox rows never published "
                            f"(first {waiting[0]})")
        problems += [f"{service}: event {i} was committed to the outbox but is not on Kafka"
                     for i in sorted(set(rows) - on_kafka[service])]
        problems += [f"{service}: event {i} is on Kafka but in no outbox of {service}"
                     for i in sorted(on_kafka[service] - set(rows))]
    return problems


def every_handled_event_is_in_its_inbox(s: Snapshot) -> list[str]:
    problems = []
    for service, sources in SUBSCRIBES.items():
        inbox = s.inbox.get(service, {})
        for event_id, r in sorted(s.distinct_events().items()):
            if r.producer in sources and r.envelope.get("type") in HANDLED[service]:
                outcome = inbox.get(event_id)
                if outcome != "processed":
                    problems.append(f"{service}: {r.envelope['type']} {event_id} "
                                    f"({r.topic}[{r.partition}]@{r.offset}) is "
                                    f"{'missing from' if outcome is None else outcome + ' in'}"
                                    " its inbox")
    return problems


def nothing_was_dead_lettered(s: Snapshot) -> list[str]:
    problems = []
    for r in s.dead_letters:
        h = {k: v.decode(errors="replace") for k, v in r.headers}
        problems.append(f"{r.topic}: {h.get('event_type', '?')} dead-lettered by "
                        f"{h.get('dlq_consumer')} ({h.get('dlq_kind')}): {h.get('dlq_reason')}")
    return problems


def services_agree_about_every_case(s: Snapshot) -> list[str]:
    problems = []
    open_cases = {m["case_id"] for m in s.matches if m["status"] in OPEN}
    let_cases = {m["case_id"] for m in s.matches if m["status"] == "tenancy_started"}
    in_aftercare = {t["case_id"] for t in s.trajectories}
    for case_id, status in sorted(s.intake_cases.items()):
        expected = AGREES.get(status)
        if expected is None:
            continue  # a draft: matching never heard of it
        candidate = s.candidates.get(case_id)
        if candidate != expected:
            problems.append(f"case {case_id}: {status} in intake, {candidate} in matching")
        if (status == "proposed") != (case_id in open_cases):
            problems.append(f"case {case_id}: {status} in intake; open proposal in matching: "
                            f"{case_id in open_cases}")
        if (status in ("housed", "closed")) != (case_id in let_cases):
            problems.append(f"case {case_id}: {status} in intake; let in matching: "
                            f"{case_id in let_cases}")
        if (case_id in let_cases) != (case_id in in_aftercare):
            problems.append(f"case {case_id}: let in matching {case_id in let_cases}, "
                            f"trajectory in aftercare {case_id in in_aftercare}")
    return problems


CHECKS: dict[str, Callable[[Snapshot], list[str]]] = {
    "no accepted intake without its case": accepted_intakes_have_their_case,
    "no tenancy without exactly one consumed ledger entry": tenancies_have_exactly_one_consumption,
    "no home or client in two proposals at once": one_proposal_at_a_time,
    "no member's quota spent twice": quota_is_never_spent_twice,
    "no outbox row unpublished, nothing on Kafka uncommitted":
        outboxes_are_published_and_match_the_log,
    "every handled event processed": every_handled_event_is_in_its_inbox,
    "nothing dead-lettered": nothing_was_dead_lettered,
    "services agree about every case": services_agree_about_every_case,
}


def reconcile(s: Snapshot) -> dict[str, list[str]]:
    """Every check's problems (an empty list: the promise held)."""
    return {name: check(s) for name, check in CHECKS.items()}


def report(problems: Mapping[str, list[str]], limit: int = 15) -> str:
    lines = []
    for name, found in problems.items():
        if found:
            lines.append(f"{name}: {len(found)} problem(s)")
            lines += [f"  - {p}" for p in found[:limit]]
    return "\n".join(lines)
