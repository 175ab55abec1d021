"""Prometheus helpers shared by the services: business-time buckets and the plumbing metrics.

Label values are bounded sets only (service, member and corporation ids, municipality,
reason codes): never a case id, a client reference or anything about a person.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DAY = 86_400.0
# Throughput times are measured in business time and run to weeks and months.
BUSINESS_TIME_BUCKETS = tuple(d * DAY for d in (1, 7, 14, 30, 60, 90, 180, 365, 730))

DEAD_LETTERS = Counter(
    "transferpunt_dead_letters_total",
    "Messages a consumer could not parse or process and sent to its dead-letter topic",
    ["service", "kind"],
)
EVENTS_CONSUMED = Counter(
    "transferpunt_events_consumed_total",
    "Events a service processed (duplicates are counted apart)",
    ["service", "event_type", "outcome"],
)
OUTBOX_PENDING = Gauge(
    "transferpunt_outbox_pending",
    "Events committed but not yet published to Kafka",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "transferpunt_outbox_published_total", "Events the outbox relay published", ["service"]
)


def business_histogram(name: str, doc: str, labels: list[str]) -> Histogram:
    """A histogram of business-time durations in seconds, with week/month buckets."""
    return Histogram(name, doc, labels, buckets=BUSINESS_TIME_BUCKETS)
