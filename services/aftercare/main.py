"""The aftercare service's composition root.

Run: `uvicorn services.aftercare.main:create_app --factory`.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from services.aftercare.adapters import metrics
from services.aftercare.adapters.db import tables
from services.aftercare.adapters.db.unit_of_work import unit_of_work_factory
from services.aftercare.adapters.http import ui
from services.aftercare.adapters.http.routes import router
from services.aftercare.adapters.kafka.handlers import build_handlers
from services.aftercare.application.alert_overdue_checkins import alert_overdue_checkins
from services.aftercare.application.escalate_signals import escalate_unanswered_signals
from services.aftercare.settings import AftercareSettings
from shared.clock import Clock
from shared.runtime import ServiceRuntime, build_runtime
from shared.settings import ServiceSettings
from shared.topics import events_topic
from shared.web import create_service_app

SERVICE = "aftercare"


def create_app(
    settings: ServiceSettings | None = None, clock: Clock | None = None,
    aftercare: AftercareSettings | None = None,
) -> FastAPI:
    aftercare = aftercare or AftercareSettings()
    runtime = build_runtime(
        service=SERVICE, settings=settings or ServiceSettings(), metadata=tables.metadata,
        outbox_table=tables.outbox, inbox_table=tables.inbox, clock=clock,
        migrations_dir=Path(__file__).parent / "adapters" / "db" / "migrations",
        handlers=partial(build_handlers, settings=aftercare),
        subscribe_to=[events_topic("matching"), events_topic("intake")],
    )
    new_uow = unit_of_work_factory(runtime.sessions, runtime.outbox)

    async def overdue_checkins(rt: ServiceRuntime) -> None:
        """A check-in missed by more than the grace days alerts once; the gauge follows."""
        now = rt.clock.now()
        per_member = await alert_overdue_checkins(
            new_uow, today=aftercare.business_date(now), now=now
        )
        metrics.set_overdue(per_member)

    async def unanswered_signals(rt: ServiceRuntime) -> None:
        """A signal nobody picked up within the escalation days goes to the coordinator."""
        await escalate_unanswered_signals(new_uow, now=rt.clock.now())

    runtime.every(aftercare.sweep_seconds, overdue_checkins)
    runtime.every(aftercare.sweep_seconds, unanswered_signals)
    app = create_service_app(
        runtime, [router, ui.router], title="Transferpunt aftercare",
        description="One year of ambulant aftercare after move-in, with early warning.",
    )
    app.state.aftercare_settings = aftercare
    app.state.new_uow = new_uow
    return app
