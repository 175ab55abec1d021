"""Erase personal data whose retention period has passed (bewaartermijn).

    python -m services.intake.retention [--now 2029-01-01T00:00:00+01:00]

`run_retention(settings, now)` is what a command line calls; the running service also runs
the same erasure periodically (`TRANSFERPUNT_INTAKE_RETENTION_INTERVAL_SECONDS`). The period
is `TRANSFERPUNT_INTAKE_RETENTION_MONTHS` (default 24) after the case ended.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.intake.adapters.db import tables
from services.intake.adapters.db.unit_of_work import unit_of_work
from services.intake.adapters.metrics import PERSONAL_DATA_ERASED
from services.intake.application.erase_expired_personal_data import (
    erase_expired_personal_data,
)
from services.intake.config import IntakeConfig
from shared import migrations
from shared.clock import SystemClock
from shared.db import make_engine, make_session_factory
from shared.outbox import Outbox
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "db" / "migrations"


async def erase_due_with(
    sessions: async_sessionmaker[AsyncSession], now: datetime, retention_months: int
) -> int:
    """Erase what is due at `now` (business time) through the given sessions."""
    outbox = Outbox(tables.outbox, "intake", SystemClock())  # erasure publishes nothing
    erased = await erase_expired_personal_data(
        partial(unit_of_work, sessions, outbox), now, retention_months
    )
    PERSONAL_DATA_ERASED.inc(erased)
    return erased


async def erase_due(
    settings: ServiceSettings, now: datetime, config: IntakeConfig | None = None
) -> int:
    """Bring the schema up to date, then erase what is due; returns the cases erased."""
    config = config or IntakeConfig()
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, settings.database_url, "intake")
    engine = make_engine(settings, pool_size=2)
    try:
        return await erase_due_with(
            make_session_factory(engine), now, config.retention_months
        )
    finally:
        await engine.dispose()


def run_retention(settings: ServiceSettings, now: datetime | None = None) -> int:
    """Blocking entry point for a command line (do not call from a running event loop)."""
    return asyncio.run(erase_due(settings, now or datetime.now(UTC)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.intake.retention",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--now", type=datetime.fromisoformat, default=None,
                        help="business time to erase at, ISO-8601 with time zone (default: now)")
    args = parser.parse_args(argv)
    if args.now is not None and args.now.tzinfo is None:
        parser.error("--now needs a time zone, e.g. 2029-01-01T00:00:00+01:00")
    erased = run_retention(ServiceSettings(), args.now)
    print(f"erased the personal data of {erased} case(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
