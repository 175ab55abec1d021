"""Coded reasons a proposal is declined (after Boston CAS's coded decline reasons).

The code goes onto Kafka (``MatchDeclined``) and into the "declines by reason" counter.
A free-text note is required for ``other`` and allowed for every reason; **the note never
goes onto Kafka** — it stays in the matching service's own database. The domain only
enforces that it is present when needed.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import DeclineNoteRequired


class DeclineReason(StrEnum):
    """Why a proposal was declined."""

    CLIENT_UNREACHABLE = "client_unreachable"
    """The corporation could not reach the client (via the caseworker) in time."""
    HOME_UNSUITABLE = "home_unsuitable"
    """On closer look the home does not suit this household."""
    RISK_NOT_MITIGATED = "risk_not_mitigated"
    """The corporation judges a mapped risk insufficiently mitigated."""
    CLIENT_DECLINED = "client_declined"
    """The client turned the home down (recorded by the caseworker, or seen at a viewing)."""
    OTHER = "other"
    """Anything else; a note is required."""


class DecidedBy(StrEnum):
    """Whose answer ended or moved the proposal."""

    CORPORATION = "corporation"
    CLIENT = "client"
    """Recorded by the client's caseworker."""


DECLINE_REASON_DESCRIPTIONS: dict[DeclineReason, str] = {
    DeclineReason.CLIENT_UNREACHABLE: "The client could not be reached in time.",
    DeclineReason.HOME_UNSUITABLE: "The home does not suit the household.",
    DeclineReason.RISK_NOT_MITIGATED: "A mapped risk is not sufficiently mitigated.",
    DeclineReason.CLIENT_DECLINED: "The client declined the home.",
    DeclineReason.OTHER: "Another reason, explained in a note.",
}
"""A short English sentence per reason, for screens and reports."""


def checked_note(reason: DeclineReason, note: str | None) -> str | None:
    """The note, stripped, or None when blank; raises when ``other`` comes without one."""
    cleaned = note.strip() if note is not None else ""
    if reason is DeclineReason.OTHER and not cleaned:
        raise DeclineNoteRequired(
            "A decline with reason 'other' needs a note that explains the reason."
        )
    return cleaned or None
