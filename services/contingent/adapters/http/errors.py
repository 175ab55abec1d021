"""The contingent's refusals as HTTP answers, in the shape every service uses (shared/web.py):
422 `{"detail": [{"field", "message"}]}`, otherwise `{"detail": "..."}`.

| refusal | status |
|---|---|
| NotFound | 404 |
| Forbidden | 403 |
| Conflict, YearClosed, HomesInFlight, CarryOverRefused, HomeAlreadyConsumed | 409 |
| InvalidRequest, InvalidContingent, UnknownMember | 422 |
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.contingent.application.errors import (
    ApplicationError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
)
from services.contingent.domain.errors import (
    CarryOverRefused,
    ContingentError,
    HomeAlreadyConsumed,
    HomesInFlight,
    InvalidContingent,
    UnknownMember,
    YearClosed,
)

_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404), (Forbidden, 403), (Conflict, 409), (InvalidRequest, 422),
    (YearClosed, 409), (HomesInFlight, 409), (CarryOverRefused, 409),
    (HomeAlreadyConsumed, 409), (InvalidContingent, 422), (UnknownMember, 422),
)
# Which field a domain refusal is about, from the words of its message (first match wins).
_FIELDS = (("minimum", "min_per_member"), ("need", "members"), ("member", "members"),
           ("method", "method"), ("total", "total_homes"))


def status_of(exc: Exception) -> int:
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 400)


def field_of(exc: Exception) -> str:
    if isinstance(exc, ApplicationError) and exc.field:
        return exc.field
    text = str(exc).lower()
    return next((field for word, field in _FIELDS if word in text), "request")


async def refusal(_: Request, exc: Exception) -> JSONResponse:
    status = status_of(exc)
    message = exc.message if isinstance(exc, ApplicationError | ContingentError) else str(exc)
    if status == 422:
        return JSONResponse(status_code=422,
                            content={"detail": [{"field": field_of(exc), "message": message}]})
    return JSONResponse(status_code=status, content={"detail": message})


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApplicationError, refusal)
    app.add_exception_handler(ContingentError, refusal)
