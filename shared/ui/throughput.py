"""Throughput-time percentiles from the services' Prometheus histograms (`GET /metrics`).

The histograms count in business time; a percentile is estimated from the buckets the way
Prometheus' `histogram_quantile` does (linear within the bucket), over every label set
together, since the service process started. Long-term figures belong to Prometheus and the
Grafana dashboard; this page shows what the running services measured.

A histogram a service does not (yet) expose, or a service that does not answer, is reported
as such — the page says so instead of showing a number it does not have.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Measure:
    key: str  # catalogue key of what is measured
    service: str
    metric: str  # histogram name, without _bucket/_count/_sum


MEASURES = (
    Measure("throughput.intake_to_proposal", "matching",
            "transferpunt_matching_intake_to_first_proposal_seconds"),
    Measure("throughput.proposal_to_decision", "matching",
            "transferpunt_matching_proposal_to_decision_seconds"),
    Measure("throughput.intake_to_tenancy", "matching",
            "transferpunt_matching_intake_to_tenancy_start_seconds"),
    Measure("throughput.tenancy_to_aftercare_end", "aftercare",
            "transferpunt_aftercare_duration_seconds"),
)


@dataclass(frozen=True)
class Estimate:
    seconds: float
    at_most: bool = False  # "≤": it lies in the lowest bucket
    at_least: bool = False  # "≥": it lies beyond the highest finite bucket

    @property
    def days(self) -> float:
        return self.seconds / 86_400


@dataclass(frozen=True)
class Histogram:
    buckets: tuple[tuple[float, float], ...]  # (upper bound, cumulative count), ascending
    count: float

    def quantile(self, q: float) -> Estimate | None:
        """Like PromQL's histogram_quantile; None without observations. Within the lowest
        bucket the linear estimate says little (a few seconds and most of a day look the
        same), so there it is "at most the bucket's bound"."""
        if self.count <= 0 or not self.buckets:
            return None
        rank = q * self.count
        lower_bound, lower_count = 0.0, 0.0
        for bound, cumulative in self.buckets:
            if cumulative >= rank:
                if math.isinf(bound):
                    return Estimate(lower_bound, at_least=True)  # beyond the last bucket
                if lower_bound == 0.0:
                    return Estimate(bound, at_most=True)
                inside = cumulative - lower_count
                share = 0.0 if inside == 0 else (rank - lower_count) / inside
                return Estimate(lower_bound + (bound - lower_bound) * share)
            lower_bound, lower_count = bound, cumulative
        return Estimate(lower_bound, at_least=True)


def histogram(text: str, metric: str) -> Histogram | None:
    """The histogram `metric` in a /metrics page, all label sets summed (None: absent)."""
    buckets: dict[float, float] = defaultdict(float)
    count, found = 0.0, False
    for family in text_string_to_metric_families(text):
        if family.name != metric:
            continue
        found = True
        for sample in family.samples:
            if sample.name == metric + "_bucket":
                buckets[float(sample.labels["le"])] += sample.value
            elif sample.name == metric + "_count":
                count += sample.value
    if not found:
        return None
    return Histogram(tuple(sorted(buckets.items())), count)


@dataclass(frozen=True)
class Reading:
    measure: Measure
    state: str  # "measured", "empty", "missing" (metric not exposed), "unreachable"
    count: int = 0
    p50: Estimate | None = None
    p90: Estimate | None = None


async def read_all(urls: dict[str, str], wait_seconds: float = 3.0) -> list[Reading]:
    pages: dict[str, str | None] = {}
    async with httpx.AsyncClient(timeout=wait_seconds) as http:
        for service in {m.service for m in MEASURES}:
            try:
                answer = await http.get(f"{urls[service]}/metrics")
                pages[service] = answer.text if answer.status_code == 200 else None
            except httpx.HTTPError:
                pages[service] = None
    return [_reading(m, pages[m.service]) for m in MEASURES]


def _reading(measure: Measure, text: str | None) -> Reading:
    if text is None:
        return Reading(measure, "unreachable")
    found = histogram(text, measure.metric)
    if found is None:
        return Reading(measure, "missing")
    if found.count == 0:
        return Reading(measure, "empty")
    return Reading(measure, "measured", int(found.count), found.quantile(0.5),
                   found.quantile(0.9))
