"""Every metric's labels are bounded: organisations, municipalities, codes — never a case, a
home, a match, a trajectory or a person. A new metric with an unbounded label fails here.

Prometheus keeps one time series per label combination for as long as it runs; a case id as a
label grows without end (and ties a series to one client). The rule is by label name, checked
over every collector the four services and the shared plumbing register.
"""

from __future__ import annotations

import importlib

from prometheus_client import REGISTRY, CollectorRegistry, Counter

# The label names a metric may carry, each with why its values are bounded.
BOUNDED = {
    "service": "the four services",
    "kind": "dead-letter kinds, signal kinds: codes",
    "event_type": "the registered event types",
    "outcome": "codes (handled, duplicate, outcomes of aftercare)",
    "reason": "decline and withdrawal reason codes",
    "member_id": "the region's member organisations (42 in U16)",
    "corporation_id": "the region's housing corporations",
    "municipality": "the region's municipalities (16 in U16)",
    "year": "contingent years",
    "stage": "the throughput stages",
    # FastStream's messaging metrics (KafkaPrometheusMiddleware): topics and handlers.
    "app_name": "the service", "broker": "kafka", "handler": "the consumers",
    "destination": "the topics", "exception_type": "exception classes",
    "status": "message outcomes",
}

METRIC_MODULES = (
    "shared.metrics",
    "shared.runtime",
    "services.intake.adapters.metrics",
    "services.matching.adapters.metrics",
    "services.contingent.adapters.metrics",
    "services.aftercare.adapters.metrics",
)


def unbounded_labels(registry: CollectorRegistry) -> list[str]:
    found = []
    for collector in list(registry._collector_to_names):  # no public listing
        names = getattr(collector, "_labelnames", ())
        metric = getattr(collector, "_name", type(collector).__name__)
        found += [f"{metric}{{{label}}}" for label in names if label not in BOUNDED]
    return sorted(found)


def test_every_registered_metric_has_bounded_labels_only() -> None:
    for module in METRIC_MODULES:
        importlib.import_module(module)
    ours = [c for c in REGISTRY._collector_to_names
            if getattr(c, "_name", "").startswith("transferpunt_")]
    assert len(ours) >= 20, "the services' metrics were not registered: nothing was checked"
    assert unbounded_labels(REGISTRY) == []


def test_a_case_id_label_is_caught() -> None:
    registry = CollectorRegistry()
    Counter("transferpunt_demo_total", "a metric labelled by case", ["member_id", "case_id"],
            registry=registry)
    assert unbounded_labels(registry) == ["transferpunt_demo{case_id}"]
