"""Helpers for the intake's integration tests: clients with unique personal data (remembered
for the scan of every topic), tokens, and matching's and aftercare's events put on Kafka."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from services.intake.domain.affordability import RENT_LIMITS_2025
from services.intake.domain.client import PersonalData
from services.intake.domain.details import IntakeDetails, IntakeRules
from services.intake.domain.household import Household
from services.intake.domain.intake import Intake
from services.intake.domain.pseudonym import client_ref
from services.intake.domain.region import U16
from shared.auth import mint_token
from shared.events.base import Event, envelope_for
from shared.settings import ServiceSettings
from shared.topics import events_topic
from tests.support.kafka import envelope_of, eventually, find_records, publish_raw

# Every personal value any intake test submits; the last test looks for each on Kafka.
PERSONAL_VALUES: set[str] = set()
# Far beyond any home the e2e test offers, so the real matching never proposes these clients.
READY_FROM = "2041-06-01"


def token(role: str, org: str, sub: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(ServiceSettings(), role=role, org=org, sub=sub)}"}


def new_member() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


def valid_bsn() -> str:
    """A random BSN that passes the 11-check (elfproef)."""
    while True:
        digits = [random.randint(0, 9) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        last = total % 11
        if last <= 9 and digits[0] != 0:
            return "".join(map(str, [*digits, last]))


def intake_body(
    *, bsn: str | None = "random", submit: bool = True, **changes: Any
) -> dict[str, Any]:
    """A valid intake with personal values nobody else uses."""
    tag = uuid.uuid4().hex[:10]
    born = date(1950, 1, 1) + timedelta(days=random.randint(0, 365 * 45))
    client = {
        "name": f"Testpersoon {tag.upper()}",
        "date_of_birth": born.isoformat(),
        "bsn": valid_bsn() if bsn == "random" else bsn,
        "client_number": f"KN-{tag}",
        "phone": f"06{random.randint(10_000_000, 99_999_999)}",
        "email": f"client.{tag}@example.org",
        "address": f"Opvangstraat {tag}, Utrecht",
    }
    PERSONAL_VALUES.update(str(v) for v in client.values() if v)
    notes = f"Notitie {tag}: belt liever 's ochtends"
    PERSONAL_VALUES.add(notes)
    body = {
        "client": client,
        "household": {"adults": 1, "children": 1, "children_ages": [6]},
        "monthly_income": "1350.00",
        "preferred_municipalities": ["Utrecht", "zeist"],
        "support_hours_per_week": 3,
        "support_provider": f"Begeleider {tag}",
        "risks": [{"category": "debts", "mitigation": "budget management for 12 months",
                   "carried_by": f"Schuldhulp {tag}"}],
        "urgency": "high",
        "ready_from": READY_FROM,
        "consent": True,
        "notes": notes,
        "submit": submit,
    }
    PERSONAL_VALUES.update({f"Begeleider {tag}", f"Schuldhulp {tag}"})
    return {**body, **changes}


class Intakes:
    """The intake API and the intake topic, as a caseworker, coordinator or matching sees them."""

    def __init__(self, http: httpx.AsyncClient, url: str, bootstrap: str) -> None:
        self.http, self.url, self.bootstrap = http, url, bootstrap

    async def open(self, member: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = await self.http.post(f"{self.url}/intakes", json=body or intake_body(),
                                 headers=token("caseworker", member))
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def get(self, member: str, case_id: str, **params: str) -> dict[str, Any]:
        r = await self.http.get(f"{self.url}/intakes/{case_id}", params=params,
                                headers=token("caseworker", member))
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def status_becomes(self, member: str, case_id: str, status: str) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            r = await self.http.get(f"{self.url}/intakes/{case_id}",
                                    headers=token("coordinator", "region"))
            body: dict[str, Any] = r.json()
            return body if body["status"] == status else None

        return await eventually(check)  # type: ignore[no-any-return]

    async def act_as(self, event: Event, case_id: str) -> None:
        """Put another service's event on its topic, as that service would."""
        now = datetime.now(UTC)
        envelope = envelope_for(event, case_id=uuid.UUID(case_id), occurred_at=now,
                                recorded_at=now)
        await publish_raw(self.bootstrap, events_topic(event.producer), envelope.to_bytes(),
                          key=case_id.encode())

    async def events_of(self, case_id: str, count: int) -> list[dict[str, Any]]:
        """The case's events on the intake topic, in order (at least `count` of them)."""
        records = await find_records(
            self.bootstrap, events_topic("intake"),
            lambda rec: envelope_of(rec).get("case_id") == case_id, count=count)
        assert len(records) >= count, f"only {len(records)} of {count} events reached Kafka"
        for record in records:
            assert record.key == case_id.encode()
        ordered = sorted(records, key=lambda rec: rec.offset)
        return [envelope_of(rec) for rec in ordered]

    async def metrics(self) -> str:
        return (await self.http.get(f"{self.url}/metrics")).text


def submitted_intake(name: str, at: datetime, client: str | None = None) -> Intake:
    """A submitted case of member m01 made by the domain alone, for tests on the repository
    (`client`: the client's number at m01, which makes its client_ref; a new client without)."""
    intake = Intake.open(
        case_id=str(uuid.uuid4()),
        client_ref=client_ref(b"k" * 32, None, f"m01:{client or uuid.uuid4()}"),
        member_id="m01", caseworker_id="cw-1", now=at,
        rules=IntakeRules(region=U16, rent_limits=RENT_LIMITS_2025),
        details=IntakeDetails(
            client=PersonalData(name=name, date_of_birth=date(1980, 1, 1)),
            household=Household(adults=1), monthly_income_cents=125_000,
            ready_to_move_on=at.date(), consent_given_on=at.date()))
    intake.submit(at)
    return intake
