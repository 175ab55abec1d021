"""Domain and application refusals → HTTP problems a person can act on.

404 where even existence must not leak, 409 for a state that forbids the change (a completed
trajectory, a signal already picked up), 422 for input that breaks a rule. The transaction
is rolled back first, so nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.aftercare.application import errors as app
from services.aftercare.domain import errors as domain
from shared.web import Problem

_STATUS: list[tuple[type[Exception], int, str | None]] = [
    (app.TrajectoryNotFound, 404, None),
    (app.SignalNotFound, 404, None),
    (domain.UnknownSignalError, 404, None),
    (app.TenancyAftercareEnded, 409, None),
    (domain.TrajectoryCompletedError, 409, None),
    (domain.DuplicateCheckInError, 409, None),
    (domain.DuplicateSignalError, 409, None),
    (domain.SignalAlreadyAcknowledgedError, 409, None),
    (domain.CheckInBeforeTenancyStartError, 422, "held_on"),
    (domain.CheckInInFutureError, 422, "held_on"),
    (domain.InvalidCheckInError, 422, "scores"),
    (domain.InvalidSignalError, 422, "months_owed"),
    (domain.InvalidExtensionError, 422, None),
    (domain.InvalidDateError, 422, None),
]

_MESSAGES: dict[type[Exception], str] = {
    domain.TrajectoryCompletedError:
        "this trajectory is completed (afgesloten) and can no longer change",
    domain.SignalAlreadyAcknowledgedError: "this signal was already picked up",
}


def problem_for(exc: Exception) -> Problem:
    if isinstance(exc, app.UnknownTenancy):
        return Problem(422, str(exc), exc.field)
    for kind, status, field in _STATUS:
        if isinstance(exc, kind):
            return Problem(status, _MESSAGES.get(kind, str(exc)), field)
    return Problem(422, str(exc))


@contextmanager
def refusals() -> Iterator[None]:
    """Turn the rules' refusals raised inside the block into HTTP problems."""
    try:
        yield
    except (domain.AftercareError, app.AftercareRequestError) as exc:
        raise problem_for(exc) from None
