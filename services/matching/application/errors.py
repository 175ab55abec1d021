"""Errors of the use cases that are not domain rules (the domain's are in domain/errors.py)."""

from __future__ import annotations


class NotFound(LookupError):
    """The thing does not exist, or the caller may not know it exists (HTTP 404)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"no such {what}")
        self.message = f"no such {what}"
