"""Nothing blocks, nothing is silently lost: poison on every event topic lands on the
dead-letter topic of every service that consumes that topic, with its kind and a reason,
counted in `transferpunt_dead_letters_total{service,kind}` (at least once per message and
consumer) — and the partitions keep
flowing: a whole case travels through all four services afterwards.

Poison (each on every partition of every event topic, so whatever partition a later real
event lands on, it lands behind poison):
- malformed JSON;
- an envelope naming an event type nobody knows;
- a known type in a version nobody knows;
- a valid envelope of a known type whose data does not fit the model (with a made-up name
  in it, which the reason must not echo);
- an oversized message: a valid envelope just over the services' 1,000,000-byte limit
  (`TRANSFERPUNT_MAX_MESSAGE_BYTES`), still under the broker's `max.message.bytes`
  (1,048,588 by default; checked below), so Kafka takes it and the consumer must refuse it.

Shown once to fail (docs/reliability.md): with `IdempotentConsumer._dead_letter` not
publishing, every case here fails with "never reached the dead-letter topic"; with the
size check removed from `_parse`, the oversized case fails (it is dead-lettered as
`invalid_data` instead, or not at all).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.topics import PARTITIONS, SERVICES, dead_letter_topic, events_topic
from tests.access.world import (
    bearer,
    dutch_today,
    home_body,
    intake_body,
    register,
    set_year,
)
from tests.conftest import RunningSystem
from tests.support.kafka import eventually, find_records
from tests.support.years import CONTINGENT, free_year

pytestmark = pytest.mark.infra

SERVICE_LIMIT = 1_000_000  # ServiceSettings.max_message_bytes, the default the system runs with
CONSUMERS = {  # topic producer -> the services that consume its topic (services/*/main.py)
    "intake": ("matching", "aftercare"),
    "matching": ("intake", "contingent", "aftercare"),
    "contingent": ("matching",),
    "aftercare": ("intake",),
}
KNOWN_TYPE = {"intake": "IntakeSubmitted", "matching": "TenancyStarted",
              "contingent": "AllocationDecided", "aftercare": "TrajectoryOpened"}
MADE_UP_NAME = "Pieternella Gifkikker"


def envelope(producer: str, *, type_: str | None = None, version: int = 1,
             data: dict[str, Any] | None = None) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"event_id": str(uuid.uuid4()), "type": type_ or KNOWN_TYPE[producer],
            "version": version, "occurred_at": now, "recorded_at": now, "producer": producer,
            "case_id": str(uuid.uuid4()), "data": data if data is not None else {}}


def poison(producer: str) -> dict[str, bytes]:
    """Each kind of poison, as the consumer's `dlq_kind` names it."""
    oversized = envelope(producer, data={"padding": ""})
    oversized["data"]["padding"] = "x" * (SERVICE_LIMIT + 10_000)
    return {
        "unparseable": b'{"event_id": "not json at all',
        "unknown_type": json.dumps(envelope(producer, type_="HomeTeleported")).encode(),
        "unknown_version": json.dumps(envelope(producer, version=99)).encode(),
        "invalid_data": json.dumps(envelope(
            producer, data={"client_name": MADE_UP_NAME, "bedrooms": "many"})).encode(),
        "oversized": json.dumps(oversized).encode(),
    }


@dataclass(frozen=True)
class Sent:
    topic: str
    partition: int
    offset: int
    kind: str


def metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def dead_letter_counts(http: httpx.AsyncClient, urls: dict[str, str]) -> Counter[tuple[
        str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for service in SERVICES:
        text = (await http.get(f"{urls[service]}/metrics")).text
        for kind in ("unparseable", "unknown_type", "unknown_version", "invalid_data",
                     "oversized"):
            counts[service, kind] = metric(text, "transferpunt_dead_letters_total",
                                           service=service, kind=kind)
    return counts


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def broker_message_limit(bootstrap: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": None})])
        for resource in response.resources:
            for entry in resource[4]:
                if entry[0] == "max.message.bytes":
                    return int(entry[1])
    finally:
        await admin.close()
    raise AssertionError(f"the broker did not say {topic}'s max.message.bytes")


async def publish_poison(bootstrap: str) -> list[Sent]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=2_000_000)
    await producer.start()
    sent = []
    try:
        for source in SERVICES:
            topic = events_topic(source)
            for kind, value in poison(source).items():
                for partition in range(PARTITIONS):
                    meta = await producer.send_and_wait(topic, value, partition=partition,
                                                        key=b"poison")
                    sent.append(Sent(topic, partition, meta.offset, kind))
    finally:
        await producer.stop()
    return sent


async def case_through_all_four_services(http: httpx.AsyncClient, urls: dict[str, str]) -> None:
    """Intake → matching ⇄ contingent → tenancy → contingent, aftercare, intake → the end of
    aftercare → intake: every topic, read by every service that consumes it."""
    run = uuid.uuid4().hex[:6]
    member, corp = f"px{run}m", f"px{run}c"
    coordinator, caseworker = bearer("coordinator", "region"), bearer("caseworker", member)
    corporation, supporter = bearer("corporation", corp), bearer("supporter", member)
    year = await free_year(http, urls["contingent"], CONTINGENT)
    await register(http, urls["contingent"], member)
    await set_year(http, urls["contingent"], year, {member: 3})
    r = await http.post(f"{urls['intake']}/intakes", headers=caseworker,
                        json=intake_body(ready_from=dutch_today().isoformat()))
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    r = await http.post(f"{urls['matching']}/homes", headers=corporation, json=home_body(year))
    assert r.status_code == 201, r.text
    home_id = r.json()["home_id"]

    async def proposal() -> Any:
        resp = await http.get(f"{urls['matching']}/matches", headers=corporation)
        return [m for m in resp.json() if m["home_id"] == home_id]

    [match] = await eventually(proposal, seconds=60)
    assert match["case_id"] == case_id
    match_url = f"{urls['matching']}/matches/{match['match_id']}"
    assert (await http.post(f"{match_url}/accept", headers=corporation)).status_code == 200
    today = date.today().isoformat()
    r = await http.post(f"{match_url}/tenancy", headers=corporation,
                        json={"signed_on": today, "start_date": today})
    assert r.status_code == 200, r.text

    async def trajectory() -> Any:
        resp = await http.get(f"{urls['aftercare']}/trajectories", headers=supporter)
        return [t for t in resp.json() if t["case_id"] == case_id]

    [traj] = await eventually(trajectory, seconds=60)
    r = await http.post(f"{urls['aftercare']}/trajectories/{traj['trajectory_id']}/complete",
                        headers=supporter, json={"outcome": "stable"})
    assert r.status_code == 200, r.text

    async def used() -> Any:
        resp = await http.get(f"{urls['contingent']}/contingents/{year}", headers=coordinator)
        return resp.json()["shares"][0]["used"] == 1

    async def closed() -> Any:
        resp = await http.get(f"{urls['intake']}/intakes/{case_id}", headers=coordinator)
        return resp.json()["status"] == "closed"

    await eventually(used, seconds=60)
    await eventually(closed, seconds=60)


async def test_poison_is_dead_lettered_by_every_consumer_and_the_partitions_keep_flowing(
    system: RunningSystem, http: httpx.AsyncClient
) -> None:
    bootstrap, urls = system.infra.bootstrap_servers, system.urls
    for source in SERVICES:
        limit = await broker_message_limit(bootstrap, events_topic(source))
        assert len(poison(source)["oversized"]) < limit, "the broker would refuse it itself"
    assert all(len(p["oversized"]) > SERVICE_LIMIT for p in map(poison, SERVICES))

    before = await dead_letter_counts(http, urls)
    sent = await publish_poison(bootstrap)

    expected: Counter[tuple[str, str]] = Counter()
    for service in SERVICES:
        mine = [s for s in sent
                if service in CONSUMERS[s.topic.removeprefix("transferpunt.").split(".")[0]]]
        wanted = {(s.topic, s.partition, s.offset): s.kind for s in mine}
        expected.update((service, s.kind) for s in mine)

        def ours(record: Any, wanted: dict[tuple[str, int, int], str] = wanted) -> bool:
            h = {k: v.decode() for k, v in record.headers}
            return (h.get("original_topic"), int(h.get("original_partition", -1)),
                    int(h.get("original_offset", -1))) in wanted

        found = await find_records(bootstrap, dead_letter_topic(service), ours,
                                   count=len(wanted), seconds=90)
        got: dict[tuple[str, int, int], dict[str, str]] = {}
        for record in found:
            h = {k: v.decode() for k, v in record.headers}
            got[h["original_topic"], int(h["original_partition"]),
                int(h["original_offset"])] = h
            assert len(record.value) <= 65_536 or h["dlq_kind"] != "oversized"
        missing = sorted(set(wanted) - set(got))
        assert not missing, f"{service}: never reached the dead-letter topic: {missing}"
        for where, kind in wanted.items():
            h = got[where]
            assert h["dlq_kind"] == kind, f"{service} {where}: {h['dlq_kind']} != {kind}"
            assert h["dlq_reason"].strip(), f"{service} {where}: no reason"
            assert h["dlq_consumer"] == f"{service}-consumer"
            assert MADE_UP_NAME not in h["dlq_reason"], "the reason echoes the data"

    async def counted() -> bool:
        after = await dead_letter_counts(http, urls)
        return all(after[k] - before[k] >= n for k, n in expected.items())

    # At least once each: a consumer that loses its partitions in a rebalance before it
    # commits reads a message again and dead-letters it again (at-least-once, by design).
    await eventually(counted, seconds=30)

    # And the partitions move on: a case behind the poison goes through all four services.
    await case_through_all_four_services(http, urls)
