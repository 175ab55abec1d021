"""Migration 0002 on a database the walking skeleton already used: its rows become whole
aggregates, and the schema ends where `tables.py` says."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.intake.adapters.db.repository import SqlIntakeRepository
from services.intake.domain.intake import IntakeStatus
from shared.migrations import alembic_config
from tests.conftest import migrated

pytestmark = pytest.mark.infra
MIGRATIONS = Path(__file__).resolve().parents[3] / "services/intake/adapters/db/migrations"


def migrate(url: str, revision: str) -> None:
    command.upgrade(alembic_config(MIGRATIONS, url, "intake"), revision)


async def insert_skeleton_row(engine: AsyncEngine, case_id: uuid.UUID, status: str) -> None:
    now = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    profile = {"household": {"adults": 1, "children": 1}, "required_bedrooms": 2,
               "monthly_income": "1600.00", "max_rent": "480.00", "accessibility_needs": [],
               "preferred_municipalities": ["Utrecht"], "excluded_municipalities": [],
               "cluster_preference": "no_preference", "support_hours_per_week": 2,
               "risks": [{"category": "debts", "mitigation": "budget coaching"}],
               "urgency": "normal", "ready_from": "2026-12-01"}
    personal = {"name": "Oude Skeletrij", "date_of_birth": "1980-02-02", "bsn": None,
                "client_number": "K-OLD", "phone": "0611111111", "email": None}
    async with engine.begin() as conn:
        await conn.execute(sa.text(
            "INSERT INTO intake.intakes (case_id, member_id, caseworker, status, client_ref, "
            "personal, profile, details, notes, created_at, submitted_at, updated_at) VALUES "
            "(:id, 'm01', 'caseworker@m01', :status, :ref, CAST(:personal AS jsonb), "
            "CAST(:profile AS jsonb), '{}'::jsonb, NULL, :now, :now, :now)"),
            {"id": case_id, "status": status, "ref": "cr_" + uuid.uuid4().hex,
             "personal": json.dumps(personal), "profile": json.dumps(profile), "now": now})


async def test_skeleton_rows_become_whole_aggregates(scratch_database: str) -> None:
    await asyncio.to_thread(migrate, scratch_database, "0001")
    engine = create_async_engine(scratch_database)
    try:
        waiting, proposed = uuid.uuid4(), uuid.uuid4()
        await insert_skeleton_row(engine, waiting, "submitted")
        await insert_skeleton_row(engine, proposed, "proposed")
        await asyncio.to_thread(migrate, scratch_database, "head")

        async with engine.connect() as conn:
            repository = SqlIntakeRepository(conn)  # type: ignore[arg-type]
            intake = await repository.get(str(waiting))
            assert intake is not None
            assert intake.status is IntakeStatus.SUBMITTED
            assert intake.details.client.name == "Oude Skeletrij"
            assert intake.details.client.contact.phone == "0611111111"
            assert intake.required_bedrooms == 2 and intake.max_affordable_rent_cents == 48_000
            assert intake.details.monthly_income_cents == 160_000
            assert intake.matching_view().preferred_municipalities == ("Utrecht",)
            assert await repository.client_number(str(waiting)) == "K-OLD"
            other = await repository.get(str(proposed))
            assert other is not None and other.current_proposal is not None
    finally:
        await engine.dispose()


async def test_only_one_open_case_per_client_reference(scratch_database: str) -> None:
    async with migrated(scratch_database, "intake") as engine:
        async with engine.begin() as conn:
            rows = [
                {"case_id": uuid.uuid4(), "status": status}
                for status in ("withdrawn", "closed", "submitted")
            ]
            for row in rows:
                await conn.execute(sa.text(
                    "INSERT INTO intake.intakes (case_id, member_id, caseworker, status, "
                    "client_ref, profile, details, required_bedrooms, "
                    "max_affordable_rent_cents, created_at, updated_at) VALUES (:case_id, 'm', "
                    "'c', :status, 'cr_same', '{}', '{}', 1, 1, now(), now())"), row)
        with pytest.raises(sa.exc.IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(sa.text(
                    "INSERT INTO intake.intakes (case_id, member_id, caseworker, status, "
                    "client_ref, profile, details, required_bedrooms, "
                    "max_affordable_rent_cents, created_at, updated_at) VALUES (:id, 'm', 'c', "
                    "'draft', 'cr_same', '{}', '{}', 1, 1, now(), now())"), {"id": uuid.uuid4()})
