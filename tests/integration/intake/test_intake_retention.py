"""Retention: personal data is erased once the period after the end of the case has passed,
the pseudonymous record stays, and the command does it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.retention import run_retention
from shared.settings import ServiceSettings
from tests.integration.intake.support import Intakes, intake_body, new_member, token

pytestmark = pytest.mark.infra
ROOT = Path(__file__).resolve().parents[3]


async def ended_case(intakes: Intakes, member: str) -> dict:
    body = intake_body()
    intake = await intakes.open(member, body)
    r = await intakes.http.post(f"{intakes.url}/intakes/{intake['case_id']}/withdraw",
                                headers=token("caseworker", member),
                                json={"reason": "no_longer_eligible"})
    assert r.status_code == 200, r.text
    return {**intake, "body": body}


async def backdate_end(database: AsyncEngine, case_id: str, months: int) -> None:
    """Let time pass: the case ended `months` (and a day) ago."""
    async with database.begin() as conn:
        await conn.execute(sa.text(
            "UPDATE intake.intakes SET ended_at = now() - make_interval(months => :m) "
            "- interval '1 day' WHERE case_id = CAST(:c AS uuid)"), {"m": months, "c": case_id})


async def row(database: AsyncEngine, case_id: str) -> sa.Row:  # type: ignore[type-arg]
    async with database.connect() as conn:
        return (await conn.execute(sa.text(
            "SELECT * FROM intake.intakes WHERE case_id = CAST(:c AS uuid)"), {"c": case_id}
        )).one()


async def test_personal_data_is_erased_after_the_period_keeping_the_pseudonymous_record(
    intakes: Intakes, database: AsyncEngine, database_url: str,
) -> None:
    member = new_member()
    overdue, recent = await ended_case(intakes, member), await ended_case(intakes, member)
    still_open = await intakes.open(member)
    await backdate_end(database, overdue["case_id"], 24)
    await backdate_end(database, recent["case_id"], 23)

    settings = ServiceSettings(DATABASE_URL=database_url)
    erased = await asyncio.to_thread(run_retention, settings, datetime.now(UTC))
    assert erased >= 1

    gone = await row(database, overdue["case_id"])
    assert gone.personal is None and gone.client_number is None and gone.notes is None
    assert gone.erased_at is not None
    text = str(tuple(gone))
    body = overdue["body"]
    for value in (*[str(v) for v in body["client"].values() if v], body["notes"],
                  body["support_provider"], body["risks"][0]["carried_by"]):
        assert value not in text
    # the pseudonymous record for statistics stays
    assert gone.client_ref == overdue["client_ref"] and gone.member_id == member
    assert gone.status == "withdrawn" and gone.submitted_at is not None
    assert gone.details["household"]["adults"] == 1
    assert [r["category"] for r in gone.details["risks"]] == ["debts"]

    for kept in (recent, still_open):
        assert (await row(database, kept["case_id"])).personal is not None

    # The caseworker still sees the case, without personal data, and no read is logged.
    case = await intakes.get(member, overdue["case_id"])
    assert case["client"] is None and case["personal_data_erased_at"] is not None
    r = await intakes.http.get(f"{intakes.url}/audit", params={"case_id": overdue["case_id"]},
                               headers=token("coordinator", "region"))
    assert r.json() == []


async def test_the_retention_command_erases_what_is_due(
    intakes: Intakes, database: AsyncEngine, database_url: str,
) -> None:
    member = new_member()
    case = await ended_case(intakes, member)
    await backdate_end(database, case["case_id"], 6)
    env = {**os.environ, "DATABASE_URL": database_url,
           "TRANSFERPUNT_INTAKE_RETENTION_MONTHS": "6"}
    soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "services.intake.retention", "--now", soon],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "erased the personal data of" in done.stdout
    assert (await row(database, case["case_id"])).personal is None
