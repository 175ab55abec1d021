"""The contingent service's composition root.

Run: `uvicorn services.contingent.main:create_app --factory`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.contingent.adapters.db import tables
from services.contingent.adapters.http.routes import router
from services.contingent.adapters.kafka.handlers import build_handlers
from shared.clock import Clock
from shared.runtime import build_runtime
from shared.settings import ServiceSettings
from shared.topics import events_topic
from shared.web import create_service_app

SERVICE = "contingent"


def create_app(settings: ServiceSettings | None = None, clock: Clock | None = None) -> FastAPI:
    runtime = build_runtime(
        service=SERVICE, settings=settings or ServiceSettings(), metadata=tables.metadata,
        outbox_table=tables.outbox, inbox_table=tables.inbox, clock=clock,
        migrations_dir=Path(__file__).parent / "adapters" / "db" / "migrations",
        handlers=build_handlers, subscribe_to=[events_topic("matching")],
    )
    return create_service_app(
        runtime, [router], title="Transferpunt contingent",
        description="The yearly quota, distributed fairly among the member organisations.",
    )
