"""Refusals the use cases add to the domain's own (services/aftercare/domain/errors.py).

Not-found errors say nothing about whether the thing exists for someone else: a supporter
of another organisation, or another corporation, is told the same as when it does not exist.
"""

from __future__ import annotations


class AftercareRequestError(Exception):
    """Base class for what the application refuses before the domain is asked."""


class TrajectoryNotFound(AftercareRequestError):
    """No trajectory with this id that the caller may see."""


class SignalNotFound(AftercareRequestError):
    """No signal with this id that the caller may see."""


class UnknownTenancy(AftercareRequestError):
    """A signal names a tenancy that has no aftercare trajectory at the caller's corporation."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class TenancyAftercareEnded(AftercareRequestError):
    """The tenancy is known, but its aftercare is completed: nobody would pick a signal up."""
