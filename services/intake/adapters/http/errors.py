"""Domain and application refusals → HTTP answers, in the one error shape of shared/web.py.

- `IntakeInvalid` → 422 `{"detail": [{"field", "message"}, ...]}`, every problem listed, the
  domain's field paths renamed to the API's (`ready_to_move_on` → `ready_from`, ...). The
  domain's messages never contain the submitted value, and neither does anything added here.
- `TransitionNotAllowed` → 409 with the domain's explanation.
- `CaseNotFound` → 404 (another member's case is indistinguishable from no case).
- `NotAllowed` → 403.
- Request bodies that do not even have the right shape: 422 in the same shape, with list
  positions written `risks[1].mitigation` as the domain writes them.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.intake.application.access import CaseNotFound, NotAllowed
from services.intake.application.integration_events import euros
from services.intake.domain.details import IntakeRules
from services.intake.domain.errors import (
    DuplicateIntake,
    FieldError,
    IntakeInvalid,
    TransitionNotAllowed,
)

# Domain path prefix → API path prefix.
_API_NAMES: tuple[tuple[str, str], ...] = (
    ("client.contact", "client"),
    ("household.bedrooms_override", "required_bedrooms"),
    ("monthly_income_cents", "monthly_income"),
    ("max_rent_override_cents", "max_rent"),
    ("accessibility", "accessibility_needs"),
    ("support.hours_per_week", "support_hours_per_week"),
    ("support.provider", "support_provider"),
    ("ready_to_move_on", "ready_from"),
)


def api_field(domain_field: str, *, consent_date_given: bool = False) -> str:
    if domain_field == "consent_given_on":
        return "consent_given_on" if consent_date_given else "consent"
    for domain, api in _API_NAMES:
        if domain_field == domain or domain_field.startswith((domain + ".", domain + "[")):
            return api + domain_field[len(domain):]
    return domain_field


def api_message(error: FieldError, rules: IntakeRules | None) -> str:
    if error.field == "max_rent_override_cents" and rules is not None:
        limits = rules.rent_limits  # the domain counts in cents; the API in euros
        return (f"must be above 0 and at most the social rent ceiling of EUR "
                f"{euros(limits.social_rent_ceiling_cents)} ({limits.year})")
    return error.message


class InputRejected(Exception):
    """A 422 whose field errors are already in the API's names."""

    def __init__(self, detail: list[dict[str, str]]) -> None:
        super().__init__(f"{len(detail)} invalid field(s)")
        self.detail = detail


def rejected(
    errors: Iterable[FieldError], rules: IntakeRules | None = None, *,
    consent_date_given: bool = False,
) -> InputRejected:
    detail: list[dict[str, str]] = []
    for error in errors:
        item = {"field": api_field(error.field, consent_date_given=consent_date_given),
                "message": api_message(error, rules)}
        if item not in detail:
            detail.append(item)
    return InputRejected(detail)


class OpenCaseExists(Exception):
    """409 for a second intake of a client with an open case.

    At the caseworker's own organisation the answer points at the open case
    (`open_case_id`). Another organisation's case is not theirs to see: the answer says only
    that an open case exists elsewhere, without its id, and the coordinator resolves it.
    """

    def __init__(self, message: str, open_case_id: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.open_case_id = open_case_id

    @classmethod
    def told_to(cls, org: str, duplicate: DuplicateIntake) -> OpenCaseExists:
        if duplicate.open_case_member_id == org:
            return cls(
                "this client already has an open case at your organisation "
                f"(/intakes/{duplicate.open_case_id}); update or withdraw that case instead "
                "of opening a new one",
                duplicate.open_case_id,
            )
        return cls(
            "this client already has an open case at another member organisation; a client "
            "holds one place in the queue, so ask the regional coordinator",
            None,
        )


async def _open_case_exists(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OpenCaseExists)
    content: dict[str, str] = {"detail": exc.message}
    if exc.open_case_id is not None:
        content["open_case_id"] = exc.open_case_id
    return JSONResponse(status_code=409, content=content)


async def _input_rejected(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputRejected)
    return JSONResponse(status_code=422, content={"detail": exc.detail})


async def _intake_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntakeInvalid)
    rules = getattr(request.app.state, "intake_rules", None)
    return await _input_rejected(request, rejected(exc.errors, rules))


async def _not_allowed_now(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=409, content={"detail": str(exc)})


async def _not_found(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": "no such case"})


async def _forbidden(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=403, content={"detail": str(exc)})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InputRejected, _input_rejected)
    app.add_exception_handler(OpenCaseExists, _open_case_exists)
    app.add_exception_handler(IntakeInvalid, _intake_invalid)
    app.add_exception_handler(TransitionNotAllowed, _not_allowed_now)
    app.add_exception_handler(CaseNotFound, _not_found)
    app.add_exception_handler(NotAllowed, _forbidden)
