"""The matching service's composition root.

Run: `uvicorn services.matching.main:create_app --factory`. The region's rules and the e-mail
settings come from `TRANSFERPUNT_MATCHING_*` (services/matching/settings.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.matching.adapters.db import tables
from services.matching.adapters.email import (
    NotificationTable,
    SmtpSender,
    send_due_notifications,
)
from services.matching.adapters.http import ui
from services.matching.adapters.http.routes import router
from services.matching.adapters.kafka.handlers import (
    handlers_for,
    pool_lock_for,
    prepare,
)
from services.matching.adapters.metrics import PrometheusThroughput, set_waiting
from services.matching.application.decide_match import due_for_expiry, expire_match
from services.matching.application.errors import NotFound
from services.matching.application.mediate import homes_worth_revisiting, revisit_one
from services.matching.application.unit import Services
from services.matching.domain.errors import (
    ConflictError,
    DeclineNoteRequired,
    InvalidInput,
    InvalidTenancyDates,
)
from services.matching.settings import MatchingSettings
from shared.clock import Clock
from shared.runtime import PeriodicJob, ServiceRuntime, build_runtime
from shared.settings import ServiceSettings
from shared.topics import events_topic
from shared.web import create_service_app

SERVICE = "matching"
log = logging.getLogger(__name__)


def expire_proposals(services: Services) -> PeriodicJob:
    """A proposal left lying past its deadline expires and the home moves on at once."""

    # The business time of the last sweep that found nothing due. A proposal's deadline lies
    # at least a working day after it was made, so until business time moves no proposal can
    # fall due: a manual clock (a simulation sweeps ten times a second) is not asked again.
    nothing_due_at: list[datetime] = []

    async def expire_proposals(rt: ServiceRuntime) -> None:
        now = rt.clock.now()
        if nothing_due_at == [now]:
            return
        async with rt.sessions() as session:
            due = await due_for_expiry(services.unit(session, now))
        nothing_due_at[:] = [] if due else [now]
        for match_id in due:
            try:
                async with rt.sessions() as session, session.begin():
                    await expire_match(services.unit(session, rt.clock.now()), match_id)
            except Exception as exc:  # one stuck proposal must not hold up the others
                log.warning("expiring a proposal failed (%s); next round", type(exc).__name__)

    return expire_proposals


def send_email(settings: MatchingSettings) -> PeriodicJob:
    sender = SmtpSender(settings)

    async def send_email(rt: ServiceRuntime) -> None:
        while await send_due_notifications(rt.sessions, rt.clock, settings, sender):
            pass

    return send_email


def revisit(services: Services, settings: MatchingSettings) -> PeriodicJob:
    """Homes that wait for somebody ask again when the eligible members changed or their
    last request is stale; and the waiting-candidates gauge is brought up to date."""
    stale_after = timedelta(hours=settings.rerequest_after_hours)

    async def revisit(rt: ServiceRuntime) -> None:
        async with rt.sessions() as session:  # read only, no lock (homes_worth_revisiting)
            home_ids = await homes_worth_revisiting(services.unit(session, rt.clock.now()),
                                                    stale_after=stale_after)
        for home_id in home_ids:  # one short transaction per home (see revisit_one)
            try:
                async with rt.sessions() as session, session.begin():
                    await revisit_one(services.unit(session, rt.clock.now()), home_id,
                                      stale_after=stale_after)
            except Exception as exc:  # one stuck home must not hold up the others
                log.warning("revisiting a home failed (%s); next round", type(exc).__name__)
        async with rt.sessions() as session:
            rows = await session.execute(
                sa.select(tables.candidates.c.member_id, sa.func.count())
                .where(tables.candidates.c.status == "waiting")
                .group_by(tables.candidates.c.member_id))
            set_waiting({member: count for member, count in rows})

    return revisit


async def _not_found(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": str(exc)})


async def _conflict(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConflictError)
    return JSONResponse(status_code=409, content={"detail": exc.message, "code": exc.code})


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInput)
    field = "request"
    if isinstance(exc, InvalidTenancyDates):
        field = "signed_on" if "future" in exc.message else "start_date"
    elif isinstance(exc, DeclineNoteRequired):
        field = "note"
    return JSONResponse(status_code=422,
                        content={"detail": [{"field": field, "message": exc.message}]})


def create_app(
    settings: ServiceSettings | None = None, clock: Clock | None = None,
    matching: MatchingSettings | None = None,
) -> FastAPI:
    settings = settings or ServiceSettings()
    matching = matching or MatchingSettings()
    rules = matching.rules()  # an inconsistent policy stops the start-up here
    mailbox = NotificationTable(enabled=matching.email_enabled)
    throughput = PrometheusThroughput()
    runtime = build_runtime(
        service=SERVICE, settings=settings, metadata=tables.metadata,
        outbox_table=tables.outbox, inbox_table=tables.inbox, clock=clock,
        migrations_dir=Path(__file__).parent / "adapters" / "db" / "migrations",
        handlers=handlers_for(rules, mailbox, throughput),
        lanes=[[events_topic("intake")], [events_topic("contingent")]],
        transaction_key=pool_lock_for, prepare=prepare,
    )
    services = Services(runtime.outbox, rules, mailbox, throughput)
    runtime.every(matching.job_seconds, expire_proposals(services))
    if matching.email_enabled:
        runtime.every(matching.job_seconds, send_email(matching))
    runtime.every(matching.revisit_seconds, revisit(services, matching))
    app = create_service_app(
        runtime, [router, ui.router], title="Transferpunt matching",
        description="Direct mediation between housing corporations and waiting clients.",
    )
    app.state.services = services
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(InvalidInput, _invalid)
    return app
