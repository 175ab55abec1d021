"""Errors the aftercare domain raises when a request breaks one of its rules.

Each error is a distinct class so that the HTTP adapter can map it to a status code and a
message a person can act on (422 for bad input, 409 for a closed trajectory).
"""


class AftercareError(Exception):
    """Base class: the request breaks a rule of ambulante nazorg."""


class InvalidPolicyError(AftercareError):
    """The regional aftercare policy is inconsistent (e.g. a check-in after the last month)."""


class InvalidContractError(AftercareError):
    """The contract type and its omklap term do not fit together."""


class TrajectoryCompletedError(AftercareError):
    """The trajectory is completed (afgesloten); nothing about it can change any more."""


class CheckInBeforeTenancyStartError(AftercareError):
    """A check-in cannot be held before the tenant moved in."""


class CheckInInFutureError(AftercareError):
    """A check-in can only be recorded once it has taken place (date after today)."""


class DuplicateCheckInError(AftercareError):
    """A check-in with this id is already recorded."""


class InvalidCheckInError(AftercareError):
    """A check-in's content is invalid (e.g. a life-domain score outside 1..5)."""


class InvalidSignalError(AftercareError):
    """A vroegsignalering signal is malformed (e.g. rent arrears of less than one month)."""


class DuplicateSignalError(AftercareError):
    """A signal with this id is already on the trajectory."""


class UnknownSignalError(AftercareError):
    """No signal with this id on the trajectory."""


class SignalAlreadyAcknowledgedError(AftercareError):
    """The signal was already picked up by a supporter."""


class InvalidExtensionError(AftercareError):
    """An extension needs a positive number of months and a reason."""


class InvalidDateError(AftercareError):
    """A date or moment lies before the tenancy start or before the thing it answers."""
