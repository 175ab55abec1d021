"""The intake service's composition root: `uvicorn services.intake.main:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.intake.adapters.db import tables
from services.intake.adapters.db.unit_of_work import unit_of_work
from services.intake.adapters.http import ui
from services.intake.adapters.http.errors import install_error_handlers
from services.intake.adapters.http.routes import Wiring, audit_router, router
from services.intake.adapters.kafka.handlers import build_handlers, lock_cases_of
from services.intake.adapters.metrics import set_waiting
from services.intake.application.context import IntakeContext
from services.intake.config import IntakeConfig
from services.intake.domain.pseudonym import KEY_MIN_BYTES
from services.intake.retention import erase_due_with
from shared.clock import Clock
from shared.runtime import PeriodicJob, ServiceRuntime, build_runtime
from shared.settings import ServiceSettings
from shared.topics import events_topic
from shared.web import create_service_app

SERVICE = "intake"


async def recount_waiting(runtime: ServiceRuntime) -> None:
    """The waiting-intakes gauge, from the database (right across restarts and replicas)."""
    async with unit_of_work(runtime.sessions, runtime.outbox) as uow:
        set_waiting(await uow.intakes.waiting_per_member())


def erase_periodically(retention_months: int) -> PeriodicJob:
    """The retention job, in business time (a simulated year ages cases like a real one)."""

    async def erase_expired(runtime: ServiceRuntime) -> None:
        await erase_due_with(runtime.sessions, runtime.clock.now(), retention_months)

    return erase_expired


def create_app(
    settings: ServiceSettings | None = None, clock: Clock | None = None,
    config: IntakeConfig | None = None,
) -> FastAPI:
    settings = settings or ServiceSettings()
    config = config or IntakeConfig()
    runtime = build_runtime(
        service=SERVICE, settings=settings, metadata=tables.metadata,
        outbox_table=tables.outbox, inbox_table=tables.inbox, clock=clock,
        migrations_dir=Path(__file__).parent / "adapters" / "db" / "migrations",
        handlers=build_handlers, prepare=lock_cases_of,
        subscribe_to=[events_topic("matching"), events_topic("aftercare")],
    )
    key = settings.pseudonym_key.get_secret_value().encode()
    if len(key) < KEY_MIN_BYTES:  # fail at start-up, not on the first intake
        raise ValueError(f"TRANSFERPUNT_PSEUDONYM_KEY must be at least {KEY_MIN_BYTES} bytes")
    ctx = IntakeContext(rules=config.rules(), clock=runtime.clock, pseudonym_key=key,
                        retention_months=config.retention_months)
    runtime.every(config.waiting_gauge_seconds, recount_waiting)
    if config.retention_interval_seconds > 0:
        runtime.every(config.retention_interval_seconds,
                      erase_periodically(config.retention_months))
    app = create_service_app(
        runtime, [router, audit_router, ui.router], title="Transferpunt intake",
        description="The caseworker's client file. Personal data never leaves this service.",
    )
    app.state.intake = Wiring(ctx=ctx, runtime=runtime)
    app.state.intake_rules = ctx.rules
    install_error_handlers(app)
    return app
