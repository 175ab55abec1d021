"""Domain errors of the contingent service.

Every message is written for the regional coordinator (or for the engineer on duty when an
event could not be applied): it says what is wrong and what to do about it.
"""

from __future__ import annotations


class ContingentError(Exception):
    """Base class: a rule of the yearly contingent refused a request."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidContingent(ContingentError):
    """The figures or rules given for a contingent cannot be apportioned as asked."""


class YearClosed(ContingentError):
    """The contingent year is closed (afgesloten); its figures can no longer change."""


class UnknownMember(ContingentError):
    """A member id that is not part of this year's contingent."""


class HomeAlreadyConsumed(ContingentError):
    """A home that already started a tenancy cannot be allocated, released or counted again."""


class HomesInFlight(ContingentError):
    """The year cannot close while homes are allocated but neither consumed nor released."""


class CarryOverRefused(ContingentError):
    """A carry-over (overheveling) from a previous year cannot be applied."""
