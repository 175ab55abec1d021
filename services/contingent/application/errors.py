"""Refusals of the contingent's use cases that are not rules of the domain itself.

Each message is written for the coordinator and says what to change. The HTTP adapter maps
them (and the domain's errors) to status codes; see docs/contingent-service.md.
"""

from __future__ import annotations


class ApplicationError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ApplicationError):
    """The year, member or home asked about does not exist (404)."""


class Conflict(ApplicationError):
    """The request is valid but the current state does not allow it (409)."""


class InvalidRequest(ApplicationError):
    """The request names something that cannot be used as it is (422)."""


class Forbidden(ApplicationError):
    """The caller's role or organisation may not see or do this (403)."""
