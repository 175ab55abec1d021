"""Throughput percentiles read from a real Prometheus exposition."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from shared.metrics import BUSINESS_TIME_BUCKETS, DAY
from shared.ui.throughput import MEASURES, _reading, histogram

METRIC = "transferpunt_matching_intake_to_tenancy_start_seconds"


def exposition(observations_in_days: list[float]) -> str:
    registry = CollectorRegistry()
    metric = Histogram(METRIC, "x", ["member_id"], buckets=BUSINESS_TIME_BUCKETS,
                       registry=registry)
    for n, days in enumerate(observations_in_days):
        metric.labels(f"m{n % 2}").observe(days * DAY)
    return generate_latest(registry).decode()


def test_percentiles_sum_the_label_sets_and_interpolate_within_a_bucket() -> None:
    found = histogram(exposition([10, 20, 40, 50]), METRIC)
    assert found is not None and found.count == 4
    median = found.quantile(0.5)
    assert median is not None and 14 <= median.days <= 30 and not median.at_most


def test_a_percentile_in_the_lowest_bucket_is_an_upper_bound() -> None:
    found = histogram(exposition([0.001, 0.002]), METRIC)
    assert found is not None
    median = found.quantile(0.5)
    assert median is not None and median.at_most and median.days == 1


def test_a_missing_metric_and_an_unanswering_service_are_told_apart() -> None:
    measure = next(m for m in MEASURES if m.metric == METRIC)
    assert _reading(measure, None).state == "unreachable"
    assert _reading(measure, "# nothing here\n").state == "missing"
    assert _reading(measure, exposition([])).state in ("missing", "empty")
    assert _reading(measure, exposition([3])).state == "measured"
