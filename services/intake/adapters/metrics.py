"""The intake's Prometheus metrics. Labels are bounded sets only — member ids and reason
codes — never a case id, a client reference or anything about a person."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

INTAKES_SUBMITTED = Counter(
    "transferpunt_intakes_submitted_total",
    "Intakes submitted to matching, by member organisation",
    ["member_id"],
)
INTAKES_WITHDRAWN = Counter(
    "transferpunt_intakes_withdrawn_total",
    "Intakes withdrawn before the client was housed, by reason",
    ["reason"],
)
INTAKES_WAITING = Gauge(
    "transferpunt_intakes_waiting",
    "Submitted intakes waiting for a home, by member organisation (recounted periodically)",
    ["member_id"],
)
PERSONAL_DATA_READS = Counter(
    "transferpunt_intake_personal_data_reads_total",
    "Reads of a client's personal data, each written to the access log",
)
PERSONAL_DATA_ERASED = Counter(
    "transferpunt_intake_personal_data_erased_total",
    "Cases whose personal data was erased at the end of the retention period",
)


def set_waiting(counts: dict[str, int]) -> None:
    """Replace the gauge's values; a member no longer waiting drops to 0 rather than
    keeping its last count."""
    known = {labels[0] for labels in _label_values(INTAKES_WAITING)}
    for member in known - counts.keys():
        INTAKES_WAITING.labels(member).set(0)
    for member, count in counts.items():
        INTAKES_WAITING.labels(member).set(count)


def _label_values(gauge: Gauge) -> list[tuple[str, ...]]:
    return [
        tuple(sample.labels[name] for name in ("member_id",))
        for metric in gauge.collect() for sample in metric.samples
    ]
