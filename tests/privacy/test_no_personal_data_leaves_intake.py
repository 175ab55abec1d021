"""Personal data never leaves the intake service: after the faulted run (tests/faults/run.py:
intakes with names, dates of birth, BSNs, phone numbers, e-mail and street addresses, client
numbers and notes naming the client, through 20+ crashes, broker and database restarts and a
second delivery of every event), none of those values appears

- in any message on any topic of the run's broker (events and dead letters alike),
- in any line of the four services' logs (every restart appends to the same file), nor in
  the broker's or PostgreSQL's log,
- in any metric label (each service's /metrics, scraped before every kill and at the end).

Shown once to fail (docs/reliability.md): putting the client's name into IntakeSubmitted's
data (services/intake/application/integration_events.py) makes the Kafka scan name every
intake; logging the request body on a 422 makes the log scan fail.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.faults.eventlog import read
from tests.faults.run import FaultRun

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]

LABELS = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def personal_values(run: FaultRun) -> dict[str, re.Pattern[str]]:
    """Each value the driver invented, as a pattern (numbers not inside longer numbers)."""
    found: dict[str, re.Pattern[str]] = {}
    for person in run.driven.people:
        for field, value in person.values().items():
            pattern = re.escape(value)
            if value.isdigit():
                pattern = rf"(?<!\d){pattern}(?!\d)"
            found[f"{field} {value}"] = re.compile(pattern)
    for text in run.driven.free_texts:
        found[f"note {text[:30]}…"] = re.compile(re.escape(text))
    assert len(run.driven.people) >= 20, "the run must have invented enough people to look for"
    return found


def leaks(texts: Iterable[tuple[str, str]], values: dict[str, re.Pattern[str]]) -> list[str]:
    found = []
    for where, text in texts:
        for what, pattern in values.items():
            if pattern.search(text):
                found.append(f"{what} in {where}")
    return found


async def every_message(bootstrap: str) -> list[tuple[str, str]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if not t.startswith("__")]
    finally:
        await admin.close()
    records = await read(bootstrap, topics)
    texts = []
    for r in records:
        headers = " ".join(f"{k}={v.decode(errors='replace')}" for k, v in r.headers)
        body = r.value.decode(errors="replace") + " " + headers + " " + (
            r.key.decode(errors="replace") if r.key else "")
        texts.append((f"{r.topic}[{r.partition}]@{r.offset}", body))
    return texts


def test_no_personal_data_on_any_topic(faulted_run: FaultRun) -> None:
    texts = asyncio.run(every_message(faulted_run.env.bootstrap))
    assert len(texts) > 100
    found = leaks(texts, personal_values(faulted_run))
    assert not found, "personal data on Kafka:\n" + "\n".join(found[:30])


def test_no_personal_data_in_any_log_line(faulted_run: FaultRun) -> None:
    env = faulted_run.env
    logs = [(f"{name}.log", text) for name, text in env.logs().items()]
    for extra in (env.stack.kafka.log_path, env.stack.postgres.log_path):
        if extra.exists():
            logs.append((extra.name, extra.read_text(errors="replace")))
    assert sum(len(t) for _, t in logs) > 10_000, "the services must have logged something"
    lines = [(f"{name}:{number}", line) for name, text in logs
             for number, line in enumerate(text.splitlines(), 1)]
    found = leaks(lines, personal_values(faulted_run))
    assert not found, "personal data in the logs:\n" + "\n".join(found[:30])


def test_no_personal_data_in_any_metric_label(faulted_run: FaultRun) -> None:
    texts = faulted_run.metrics_texts
    assert len(texts) >= 20, "scraped before every kill and at the end"
    labels = [(f"metric label {name}", value) for text in texts
              for line in text.splitlines() if not line.startswith("#")
              for name, value in LABELS.findall(line.split(" ", 1)[0] if "}" not in line
                                                else line[:line.rindex("}") + 1])]
    assert labels
    values = personal_values(faulted_run)
    found = leaks(labels, values) + leaks([("metrics", t) for t in texts], values)
    assert not found, "personal data in the metrics:\n" + "\n".join(sorted(set(found))[:30])
