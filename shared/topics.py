"""Kafka topic names. One topic per producing service; the key is the envelope's case_id."""

from __future__ import annotations

SERVICES = ("intake", "matching", "contingent", "aftercare")
PARTITIONS = 3


def events_topic(producer: str) -> str:
    """The topic a service publishes its events to."""
    return f"transferpunt.{producer}.events"


def dead_letter_topic(consumer: str) -> str:
    """Where a consumer puts what it could not parse or process, with the reason."""
    return f"transferpunt.{consumer}.dead-letters"


ALL_EVENT_TOPICS = tuple(events_topic(s) for s in SERVICES)
ALL_DEAD_LETTER_TOPICS = tuple(dead_letter_topic(s) for s in SERVICES)
