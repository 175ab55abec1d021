"""The HTTP shell every service shares: lifespan, health, readiness, metrics, errors.

Errors follow one shape: `{"detail": [{"field": ..., "message": ...}]}` for invalid input
(422) and `{"detail": "..."}` otherwise. A validation error never echoes the submitted value
back (it might be a name or a BSN); an unexpected error is a 500 with a reference, never a
stack trace; infrastructure trouble (a timeout, the database away) is a 503 with Retry-After.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import AwareDatetime, BaseModel, Field

from shared.auth import Principal, TokenVerifier, require_role
from shared.clock import ManualClock
from shared.consumer import is_transient
from shared.runtime import ServiceRuntime
from shared.web_guards import RefuseNulCharacters

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2


class Problem(Exception):
    """A refusal a person can act on: 404, 409 or 422 with a message (and the field)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def _field(loc: Sequence[object]) -> str:
    """`("body", "risks", 1, "mitigation")` → `risks[1].mitigation`: the name a form uses."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "request"


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": detail})


async def _problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    if exc.status == 422:
        return JSONResponse(
            status_code=422,
            content={"detail": [{"field": exc.field or "request", "message": exc.message}]},
        )
    return JSONResponse(status_code=exc.status, content={"detail": exc.message})


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    if is_transient(exc):
        # A timeout, a lock wait or the database briefly away: the request's transaction was
        # rolled back, so nothing half-done stays behind and the caller can simply retry.
        log.warning("request refused as busy: %s", type(exc).__name__)
        return JSONResponse(
            status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            content={"detail": "the service is busy or briefly cannot reach its database; "
                               "nothing was saved, please try again"},
        )
    reference = uuid.uuid4().hex[:12]
    log.error("unexpected %s (reference %s)", type(exc).__name__, reference, exc_info=exc)
    return JSONResponse(
        status_code=500,
        content={"detail": f"internal error; quote reference {reference} to the administrator"},
    )


class ClockUpdate(BaseModel):
    now: AwareDatetime


class BacklogWait(BaseModel):
    ends: dict[str, dict[int, Annotated[int, Field(ge=0)]]]
    within: float = Field(1.0, gt=0, le=10)


def plumbing_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        runtime: ServiceRuntime = request.app.state.runtime
        checks = await runtime.readiness()
        ready = all(checks.values())
        return JSONResponse(
            status_code=200 if ready else 503,
            content={"status": "ready" if ready else "not ready", "checks": checks},
        )

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @router.get("/admin/backlog")
    async def backlog(request: Request) -> dict[str, object]:
        """How far the service has come: its consumer group, per topic and partition the
        offset of the first record it has not finished (`positions`: handled and committed
        in PostgreSQL, or passed over; Kafka hears of it only later, see
        `shared.consumer.Progress`), and then the events committed but not yet on Kafka
        (`outbox_pending`). A simulator waits until every position reaches the end offsets
        and every outbox is empty. In that order: a record finished before its position was
        read has its events in the outbox, or already on Kafka."""
        runtime: ServiceRuntime = request.app.state.runtime
        return await runtime.backlog()

    @router.post("/admin/backlog/wait")
    async def backlog_caught_up(wait: BacklogWait, request: Request) -> dict[str, object]:
        """`GET /admin/backlog`, answered once the consumer has finished every record before
        `ends` (per topic and partition, the end offsets a waiter read) and the outbox is
        empty, or after `within` seconds (`caught_up` says which): one request per wait
        instead of one every few milliseconds."""
        runtime: ServiceRuntime = request.app.state.runtime
        return await runtime.backlog_caught_up(wait.ends, wait.within)

    @router.get("/admin/clock")
    async def get_clock(request: Request) -> dict[str, datetime]:
        return {"now": request.app.state.runtime.clock.now()}

    @router.put("/admin/clock")
    async def set_clock(
        update: ClockUpdate, request: Request,
        _: Annotated[Principal, Depends(require_role("coordinator"))],
    ) -> dict[str, datetime]:
        """Move business time (simulations only: the service runs with a manual clock)."""
        clock = request.app.state.runtime.clock
        if not isinstance(clock, ManualClock):
            raise HTTPException(409, "this service runs on the system clock")
        try:
            clock.set(update.now)
        except ValueError as exc:
            raise Problem(422, str(exc), "now") from None
        return {"now": clock.now()}

    return router


def create_service_app(
    runtime: ServiceRuntime, routers: Sequence[APIRouter], *, title: str, description: str
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.token_verifier = TokenVerifier(runtime.settings)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(RefuseNulCharacters)
    app.include_router(plumbing_router())
    for router in routers:
        app.include_router(router)
    _document_refusals(app)
    return app


# What a 422 really looks like here (see _validation_error and _problem), in place of
# FastAPI's default `{loc, msg, type}`, so clients generated from /openapi.json read it right.
FIELD_ERROR_SCHEMA = {
    "title": "FieldError",
    "type": "object",
    "properties": {
        "field": {"type": "string", "title": "Field",
                  "description": "the field as a form names it, e.g. `risks[1].mitigation`"},
        "message": {"type": "string", "title": "Message"},
    },
    "required": ["field", "message"],
}


def _document_refusals(app: FastAPI) -> None:
    default = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = default()
            components = schema.get("components", {}).get("schemas", {})
            if "ValidationError" in components:
                components["ValidationError"] = FIELD_ERROR_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
