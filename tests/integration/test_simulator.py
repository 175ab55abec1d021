"""The simulated year, small: a few weeks of a tiny region through the four real services on
a business clock, against real Kafka and PostgreSQL.

The simulation needs the four consumer groups to itself: other modules' fixtures keep
services of their own (on other clocks) in those groups for the whole session. So this
module runs its own Kafka broker (the project's local one, in a temporary folder on free
ports) and its own database on the session's PostgreSQL, with the four services on a
manual clock (`transferpunt.demo_year.SIM_ENV`) and a one-month aftercare, so a few weeks
reach the end of aftercare too.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.topics import SERVICES, events_topic
from tests.conftest import Infra
from transferpunt.demo_year import SIM_ENV
from transferpunt.http_client import HttpClient
from transferpunt.localstack import KafkaBroker, free_port
from transferpunt.report import STAGES, build_report, histograms, write_report
from transferpunt.simulator import (
    Api,
    Kafka,
    Scenario,
    ScenarioError,
    SimulationResult,
    make_plan,
    simulate,
    write_personal_data,
)
from transferpunt.stack import LocalStack

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]

# Years whose January to March have the same weekdays and holidays (28 years apart), so a
# rerun 28 years later is the same scenario on the same calendar.
YEAR, RERUN_YEAR = 2041, 2069
SMALL = Scenario(seed=7, year=YEAR, members=3, corporations=2, contingent=12, homes=10,
                 intakes=13, arrival_days=21, id_prefix="sa", ordered=True)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass
class SimSystem:
    urls: dict[str, str]
    bootstrap: str
    out: Path


async def _fresh_database(url: str) -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"transferpunt_sim_{uuid.uuid4().hex[:8]}"
    admin = parsed.set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False), timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sim_system(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimSystem]:
    var = tmp_path_factory.mktemp("sim")
    kafka = KafkaBroker(state_dir=var / "kafka", port=free_port(),
                        controller_port=free_port(), progress=lambda _: None)
    kafka.start(wait=True)
    stack = LocalStack(
        var=var, service_ports={name: free_port() for name in SERVICES},
        external_kafka=kafka.bootstrap_servers,
        external_db=asyncio.run(_fresh_database(infra.database_url)),
        extra_env={**SIM_ENV, "TRANSFERPUNT_ENVIRONMENT": "test",
                   "TRANSFERPUNT_CLOCK_START": f"{YEAR}-01-01T09:00:00+00:00",
                   "TRANSFERPUNT_AFTERCARE_LENGTH_MONTHS": "1",
                   "TRANSFERPUNT_AFTERCARE_CHECKIN_MONTHS": "[1]"},
        progress=lambda _: None,
    )
    procs = stack.start_services(timeout=240)
    try:
        yield SimSystem({p.name: p.url for p in procs}, kafka.bootstrap_servers, var / "out")
    finally:
        for proc in procs:
            proc.stop()
        kafka.stop()


@pytest.fixture(scope="session")
def first_run(sim_system: SimSystem) -> SimulationResult:
    return asyncio.run(simulate(SMALL, sim_system.urls, sim_system.bootstrap,
                                out_dir=sim_system.out))


# ---- refusals and the plan (no services needed, but the same module) ----------------------


@pytest.mark.parametrize(("changes", "message"), [
    ({"members": 0}, "no member organisations"),
    ({"homes": 601}, "601 homes would be offered but the contingent holds only 600"),
    ({"corporations": 0}, "no corporations"),
    ({"intakes": 0}, "no intakes"),
    ({"contingent": 0}, "contingent holds no homes"),
    ({"horizon": date(2026, 12, 31), "year": 2027}, "is not after the start"),
    ({"decline_share": 0.8, "late_share": 0.2}, "declines plus late decisions"),
    ({"method": "lottery"}, "unknown apportionment method"),
])
def test_impossible_scenarios_are_refused_with_a_reason(changes: dict[str, Any],
                                                        message: str) -> None:
    with pytest.raises(ScenarioError, match="cannot be simulated") as refused:
        make_plan(replace(Scenario(), **changes))
    assert message in str(refused.value)


def test_the_plan_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    assert make_plan(SMALL) == make_plan(SMALL)
    assert make_plan(SMALL).homes != make_plan(replace(SMALL, seed=8)).homes


def test_the_default_region_is_u16_with_a_skewed_need(tmp_path: Path) -> None:
    plan = make_plan(Scenario())
    assert len(plan.members) == 42 and len(plan.corporations) == 6
    assert len(plan.homes) == 600 and len(plan.intakes) > 600
    assert {h.body["municipality"] for h in plan.homes} == {
        "Bunnik", "De Bilt", "De Ronde Venen", "Houten", "IJsselstein", "Lopik", "Montfoort",
        "Nieuwegein", "Oudewater", "Stichtse Vecht", "Utrecht", "Utrechtse Heuvelrug",
        "Vijfheerenlanden", "Wijk bij Duurstede", "Woerden", "Zeist"}
    needs = sorted(m.need for m in plan.members)
    assert needs[-1] > 5 * needs[len(needs) // 2] and sum(needs) > 600
    path = write_personal_data(plan, tmp_path / "people.json")
    people = json.loads(path.read_text())["people"]
    assert len({p["bsn"] for p in people if p["bsn"]}) == len([p for p in people if p["bsn"]])
    for person in people:
        if person["bsn"]:
            digits = [int(d) for d in person["bsn"]]
            assert sum(d * w for d, w in zip(digits, [9, 8, 7, 6, 5, 4, 3, 2, -1],
                                             strict=True)) % 11 == 0


# ---- against the services -------------------------------------------------------------------


def test_a_small_run_houses_people_and_ends_aftercare(first_run: SimulationResult,
                                                      sim_system: SimSystem) -> None:
    r = first_run
    assert not r.errors, r.errors[:5]
    assert r.counts["homes"] == 10 and r.counts["intakes"] == 13
    assert r.counts["tenancies"] >= 5
    assert sum(r.outcomes.values()) == r.counts["tenancies"]  # every trajectory ended
    people = json.loads((sim_system.out / "sim-personal-data.json").read_text())
    assert len(people["people"]) == 13 and people["free_texts"]
    report = build_report(r)
    assert [m.member_id for m in report.members] == ["sam01", "sam02", "sam03"]
    written = {p.name for p in write_report(report, sim_system.out)}
    assert {"report-members.csv", "report-throughput.csv", "report.png"} <= written


def test_the_run_is_reproducible_for_a_seed(first_run: SimulationResult,
                                            sim_system: SimSystem) -> None:
    """The same seed 28 years later (the same calendar) does exactly the same things, and
    the services answer the same: the same members get the same homes."""
    again = asyncio.run(simulate(
        replace(SMALL, year=RERUN_YEAR, id_prefix="sb"), sim_system.urls,
        sim_system.bootstrap))
    assert not again.errors, again.errors[:5]
    assert again.actions == first_run.actions
    assert again.counts["proposals"] == first_run.counts["proposals"] > 0


# ---- the throughput histograms against the events ------------------------------------------


async def _events(bootstrap: str, topic: str, end: dict[str, int]) -> list[dict[str, Any]]:
    """Every event on `topic` up to the run's end offsets, in offset order per partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, int(k.rsplit(":", 1)[1])) for k in end
                 if k.rsplit(":", 1)[0] == topic]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        found: list[dict[str, Any]] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < end[f"{topic}:{tp.partition}"]
                        for tp in parts])

        while await behind():
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for rec in records:
                    if rec.offset < end[f"{topic}:{tp.partition}"]:
                        found.append({**json.loads(rec.value), "_at": (tp.partition, rec.offset)})
        return found
    finally:
        await consumer.stop()


def _in_window(event: dict[str, Any], topic: str, start: dict[str, int]) -> bool:
    partition, offset = event["_at"]
    return offset >= start[f"{topic}:{partition}"]


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def expected_durations(result: SimulationResult, bootstrap: str) -> dict[str, list[float]]:
    """What each histogram should have observed during the run, from the events on Kafka."""
    matching, aftercare = events_topic("matching"), events_topic("aftercare")
    on_matching = asyncio.run(_events(bootstrap, matching, result.kafka_end))
    on_aftercare = asyncio.run(_events(bootstrap, aftercare, result.kafka_end))
    out: dict[str, list[float]] = defaultdict(list)
    proposed_before: set[str] = set()
    for e in sorted(on_matching, key=lambda e: e["_at"]):
        window = _in_window(e, matching, result.kafka_start)
        d = e["data"]
        if e["type"] == "MatchProposed":
            if window and e["case_id"] not in proposed_before:
                out["intake_to_first_proposal"].append(
                    (_t(e["occurred_at"]) - _t(d["intake_submitted_at"])).total_seconds())
            proposed_before.add(e["case_id"])
        elif window and e["type"] in ("MatchAccepted", "MatchDeclined", "MatchExpired"):
            out["proposal_to_decision"].append(
                (_t(e["occurred_at"]) - _t(d["proposed_at"])).total_seconds())
        elif window and e["type"] == "TenancyStarted":
            start = datetime.combine(date.fromisoformat(d["start_date"]), time(0),
                                     tzinfo=AMSTERDAM)
            out["intake_to_tenancy_start"].append(
                max(0.0, (start - _t(d["intake_submitted_at"])).total_seconds()))
    for e in on_aftercare:
        if _in_window(e, aftercare, result.kafka_start) and e["type"] == "AftercareCompleted":
            d = e["data"]
            days = (date.fromisoformat(d["completed_on"])
                    - date.fromisoformat(d["tenancy_start"])).days
            out["tenancy_to_aftercare_end"].append(days * 86_400.0)
    return out


@pytest.mark.parametrize("stage", STAGES, ids=[s.key for s in STAGES])
def test_each_throughput_histogram_holds_the_events_of_the_run(
    stage: Any, first_run: SimulationResult, sim_system: SimSystem
) -> None:
    after = histograms(first_run.metrics_after[stage.service])
    name = next((m for m in stage.metrics if m in after), None)
    if name is None:
        pytest.skip(f"{stage.service} does not expose any of {', '.join(stage.metrics)} on "
                    "/metrics yet")
    before = histograms(first_run.metrics_before[stage.service]).get(name)
    observed = after[name].minus(before)
    expected = expected_durations(first_run, sim_system.bootstrap)[stage.key]
    assert expected, f"the run produced no events for {stage.title}"
    assert observed.count == len(expected)
    assert observed.sum == pytest.approx(sum(expected), rel=1e-9, abs=1e-3)
    mine = getattr(first_run.observed, stage.key)  # what the simulator itself read
    assert sorted(mine) == pytest.approx(sorted(expected))


def test_the_report_says_where_each_figure_comes_from(first_run: SimulationResult) -> None:
    report = build_report(first_run)
    for line in report.stages:
        assert line.source.startswith(("histogram transferpunt_", "observed in the events"))
        assert line.observed_count > 0
    assert timedelta(0) <= timedelta(seconds=first_run.wall_seconds) < timedelta(minutes=10)


def test_the_reader_fetches_only_while_it_reads(first_run: SimulationResult,
                                                 sim_system: SimSystem) -> None:
    """Between reads the simulator's reader has every partition paused, so it sends the
    broker no fetches while the services work; what they publish meanwhile is all read."""
    year = 2090

    async def check() -> list[dict[str, Any]]:
        kafka = Kafka(sim_system.bootstrap)
        await kafka.start()
        try:
            assert kafka.consumer.paused() == set(kafka.partitions)
            async with HttpClient(timeout=30) as http:
                api = Api(sim_system.urls, http)
                (await api.call("POST", "contingent", "/members", body={
                    "member_id": "reader-m1", "name": "reader-m1"})).raise_for_status()
                (await api.call("PUT", "contingent", f"/contingents/{year}", body={
                    "total_homes": 3, "method": "sainte_lague",
                    "members": [{"member_id": "reader-m1", "need": 3}]})).raise_for_status()
            found = [e.envelope for e in await kafka.read_until(await kafka.end_offsets())]
            assert kafka.consumer.paused() == set(kafka.partitions)
            return found
        finally:
            await kafka.stop()

    read = asyncio.run(check())
    assert [e["data"]["year"] for e in read if e["type"] == "ContingentSet"] == [year]
