"""The matching service's composition root.

Run: `uvicorn services.matching.main:create_app --factory`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.matching.adapters.db import tables
from services.matching.adapters.http.routes import router
from services.matching.adapters.kafka.handlers import build_handlers
from services.matching.application.decide_match import expire_due_matches
from shared.clock import Clock
from shared.runtime import ServiceRuntime, build_runtime
from shared.settings import ServiceSettings
from shared.topics import events_topic
from shared.web import create_service_app

SERVICE = "matching"


async def expire_proposals(rt: ServiceRuntime) -> None:
    """A proposal left lying past its deadline expires and the home moves on."""
    async with rt.sessions() as session, session.begin():
        await expire_due_matches(session, rt.outbox, rt.clock.now())


def create_app(settings: ServiceSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ServiceSettings()
    runtime = build_runtime(
        service=SERVICE, settings=settings, metadata=tables.metadata,
        outbox_table=tables.outbox, inbox_table=tables.inbox, clock=clock,
        migrations_dir=Path(__file__).parent / "adapters" / "db" / "migrations",
        handlers=build_handlers,
        subscribe_to=[events_topic("intake"), events_topic("contingent")],
    )
    runtime.every(5.0, expire_proposals)
    return create_service_app(
        runtime, [router], title="Transferpunt matching",
        description="Direct mediation between housing corporations and waiting clients.",
    )
