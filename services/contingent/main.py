"""The contingent service's composition root.

Run: `uvicorn services.contingent.main:create_app --factory`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.contingent.adapters import metrics
from services.contingent.adapters.db import tables
from services.contingent.adapters.db.repository import SqlContingentRepository
from services.contingent.adapters.db.unit_of_work import unit_factory
from services.contingent.adapters.http import contingents, errors, members, ui
from services.contingent.adapters.kafka.handlers import build_handlers
from shared.clock import Clock
from shared.runtime import ServiceRuntime, build_runtime
from shared.settings import ServiceSettings
from shared.topics import events_topic
from shared.web import create_service_app

SERVICE = "contingent"
GAUGE_REFRESH_SECONDS = 300.0


async def refresh_contingent_gauges(runtime: ServiceRuntime) -> None:
    """The gauges of every open year from the database: at start-up, then now and then
    (changes update them at once; this only heals a restart)."""
    async with runtime.sessions() as session:
        repository = SqlContingentRepository(session)
        for year in await repository.open_years():
            contingent = await repository.get(year)
            if contingent is not None:
                metrics.observation(contingent, ())()


def create_app(settings: ServiceSettings | None = None, clock: Clock | None = None) -> FastAPI:
    runtime = build_runtime(
        service=SERVICE, settings=settings or ServiceSettings(), metadata=tables.metadata,
        outbox_table=tables.outbox, inbox_table=tables.inbox, clock=clock,
        migrations_dir=Path(__file__).parent / "adapters" / "db" / "migrations",
        handlers=build_handlers, subscribe_to=[events_topic("matching")],
    )
    runtime.every(GAUGE_REFRESH_SECONDS, refresh_contingent_gauges)
    app = create_service_app(
        runtime, [members.router, contingents.router, ui.router], title="Transferpunt contingent",
        description="The yearly quota, distributed fairly among the member organisations.",
    )
    app.state.units = unit_factory(runtime.sessions, runtime.outbox, runtime.clock)
    errors.install(app)
    return app
