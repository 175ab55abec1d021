"""Versioned event models: importing this package registers every event type."""

from shared.events import aftercare, contingent, intake, matching
from shared.events.base import (
    Event,
    UnknownEvent,
    envelope_for,
    known_types,
    parse_event,
    register,
    register_upcaster,
)

__all__ = [
    "Event",
    "UnknownEvent",
    "aftercare",
    "contingent",
    "envelope_for",
    "intake",
    "known_types",
    "matching",
    "parse_event",
    "register",
    "register_upcaster",
]
