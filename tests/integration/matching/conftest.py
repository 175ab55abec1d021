"""Fixtures for matching's integration tests: real Kafka, PostgreSQL and contingent service,
and a matching service configured for the tests.

`matching` swaps the session's matching process (from the `system` fixture) for one with
- a manual business clock, moved by the tests through `PUT /admin/clock` (deadlines,
  reminders and expiry without waiting days),
- e-mail to an aiosmtpd server started here (`smtp`),
- periodic jobs every half second;
and swaps the original back once this package's tests are done (package scope), so tests
elsewhere in the session see the system as it was. Intake events are published to Kafka
directly (the intake service may be mid-change).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from shared.topics import SERVICES
from tests.conftest import RunningSystem
from tests.integration.matching.support import BUSINESS_START, COORDINATOR, Direct, Scenario
from tests.support.years import CONTINGENT, free_year
from transferpunt.localstack import free_port
from transferpunt.stack import LocalStack
from transferpunt.supervisor import ServiceProcess, wait_all_ready


@dataclass
class Inbox:
    """What the test SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Test-Rcpt"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Test-Rcpt"]]


@dataclass
class Smtp:
    port: int
    inbox: Inbox
    controller: Controller

    def stop(self) -> None:
        self.controller.stop()

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()


@pytest.fixture(scope="package")
def smtp() -> Iterator[Smtp]:
    inbox = Inbox()
    port = free_port()
    server = Smtp(port, inbox, Controller(inbox, hostname="127.0.0.1", port=port))
    server.controller.start()
    yield server
    server.stop()


@dataclass
class MatchingUnderTest:
    url: str
    contingent_url: str
    bootstrap: str
    database_url: str
    smtp: Smtp


MAIL_DOMAIN = "mail.test"


@pytest.fixture(scope="package")
def matching(system: RunningSystem, smtp: Smtp,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatchingUnderTest]:
    assert "contingent" in system.urls, "matching's tests need the contingent service"
    original = system.processes.get("matching")
    if original is not None:
        original.stop()
    stack = LocalStack(
        var=tmp_path_factory.mktemp("matching-under-test"),
        service_ports={name: free_port() for name in SERVICES},
        external_kafka=system.infra.bootstrap_servers, external_db=system.infra.database_url,
        extra_env={
            "TRANSFERPUNT_ENVIRONMENT": "test",
            "TRANSFERPUNT_CLOCK": "manual",
            "TRANSFERPUNT_CLOCK_START": BUSINESS_START.isoformat(),
            "TRANSFERPUNT_MATCHING_SMTP_HOST": "127.0.0.1",
            "TRANSFERPUNT_MATCHING_SMTP_PORT": str(smtp.port),
            "TRANSFERPUNT_MATCHING_SMTP_SENDER": "transferpunt@mail.test",
            "TRANSFERPUNT_MATCHING_NOTIFY_DOMAIN": MAIL_DOMAIN,
            "TRANSFERPUNT_MATCHING_JOB_SECONDS": "0.5",
            "TRANSFERPUNT_MATCHING_REVISIT_SECONDS": "2",
        },
        progress=lambda _: None,
    )
    proc: ServiceProcess = next(p for p in stack.services() if p.name == "matching")
    proc.start()
    try:
        wait_all_ready([proc], timeout=120, progress=lambda _: None)
        yield MatchingUnderTest(proc.url, system.urls["contingent"],
                                system.infra.bootstrap_servers, system.infra.database_url,
                                smtp)
    finally:
        proc.stop()
        if original is not None:
            original.start()
            wait_all_ready([original], timeout=120, progress=lambda _: None)


@pytest.fixture
async def scenario(matching: MatchingUnderTest) -> AsyncIterator[Scenario]:
    """A fresh little region per test: its own member ids, corporations and contingent year,
    so that tests never take each other's homes or clients."""
    run = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(timeout=20) as http:
        # Probed, not counted: other suites (end-to-end, access, poison) set contingents for
        # years in the same range of the same database, and a year already in use cannot be
        # set again from scratch.
        year = await free_year(http, matching.contingent_url, CONTINGENT)
        scenario = Scenario(http=http, env=matching, run=run, year=year)
        yield scenario
        await no_homes_left_without_a_contingent(scenario)


@pytest.fixture
async def direct(scenario: Scenario) -> AsyncIterator[Direct]:
    """The use cases called directly on the service's database (`support.Direct`), at the
    scenario's business time."""
    used = Direct(scenario, await scenario.now())
    yield used
    await used.close()


async def no_homes_left_without_a_contingent(s: Scenario) -> None:
    """The rule of tests/support/years.py, checked after every test: homes offered for the
    scenario's year mean that year's contingent was set. Homes left in a year nobody set stay
    there waiting, and a later test that takes the year and sets its contingent sees them
    allocated before its own — its client proposed for a stranger's home (CI saw exactly that,
    once in a few runs)."""
    r = await s.http.get(f"{s.env.contingent_url}/contingents/{s.year}", headers=COORDINATOR)
    if r.status_code != 404:
        return
    homes = await s.sql_value(
        "SELECT count(*) FROM matching.homes WHERE contingent_year = :y", y=s.year)
    assert homes == 0, (
        f"this test left {homes} home(s) in {s.year}, a year it never gave a contingent: offer "
        "them for a year of PARKING instead (tests/support/years.py)")
