"""The aftercare service's composition root.

Run: `uvicorn services.aftercare.main:create_app --factory`.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from services.aftercare.adapters.db import tables
from services.aftercare.adapters.http.routes import router
from services.aftercare.application.open_trajectory import open_trajectory
from shared.clock import Clock
from shared.consumer import Handler
from shared.outbox import Outbox
from shared.runtime import build_runtime
from shared.settings import ServiceSettings
from shared.topics import events_topic
from shared.web import create_service_app

SERVICE = "aftercare"


def handlers(outbox: Outbox, clock: Clock) -> dict[str, Handler]:
    return {"TenancyStarted": partial(open_trajectory, outbox=outbox, clock=clock)}


def create_app(settings: ServiceSettings | None = None, clock: Clock | None = None) -> FastAPI:
    runtime = build_runtime(
        service=SERVICE, settings=settings or ServiceSettings(), metadata=tables.metadata,
        outbox_table=tables.outbox, inbox_table=tables.inbox, clock=clock,
        migrations_dir=Path(__file__).parent / "adapters" / "db" / "migrations",
        handlers=handlers, subscribe_to=[events_topic("matching"), events_topic("intake")],
    )
    return create_service_app(
        runtime, [router], title="Transferpunt aftercare",
        description="One year of ambulant aftercare after move-in, with early warning.",
    )
