"""The intake service's composition root: `uvicorn services.intake.main:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.intake.adapters.db import tables
from services.intake.adapters.http.routes import router
from services.intake.application.track_case_status import TRANSITIONS, track_case_status
from shared.clock import Clock
from shared.runtime import build_runtime
from shared.settings import ServiceSettings
from shared.web import create_service_app

SERVICE = "intake"


def create_app(settings: ServiceSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ServiceSettings()
    runtime = build_runtime(
        service=SERVICE, settings=settings, metadata=tables.metadata,
        outbox_table=tables.outbox, inbox_table=tables.inbox, clock=clock,
        migrations_dir=Path(__file__).parent / "adapters" / "db" / "migrations",
        handlers=lambda _outbox, _clock: dict.fromkeys(TRANSITIONS, track_case_status),
    )
    return create_service_app(
        runtime, [router], title="Transferpunt intake",
        description="The caseworker's client file. Personal data never leaves this service.",
    )
