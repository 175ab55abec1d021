"""Retention: personal data is due for erasure 24 months after the case ended."""

from datetime import UTC, datetime

import pytest

from services.intake.domain.retention import add_months, erasure_due, erasure_due_at

ENDED = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def test_erasure_is_due_24_months_after_the_end_by_default() -> None:
    assert erasure_due_at(ENDED) == datetime(2028, 5, 10, 12, 0, tzinfo=UTC)
    assert erasure_due(ENDED, datetime(2028, 5, 10, 12, 0, tzinfo=UTC))
    assert not erasure_due(ENDED, datetime(2028, 5, 10, 11, 59, tzinfo=UTC))


def test_the_period_can_be_configured() -> None:
    assert erasure_due(ENDED, datetime(2027, 5, 10, 12, 0, tzinfo=UTC), period_months=12)
    assert not erasure_due(ENDED, datetime(2027, 5, 10, 12, 0, tzinfo=UTC))


def test_a_negative_period_is_refused() -> None:
    with pytest.raises(ValueError):
        erasure_due_at(ENDED, -1)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime(2026, 8, 31), 6, datetime(2027, 2, 28)),
        (datetime(2026, 1, 31), 1, datetime(2026, 2, 28)),
        (datetime(2027, 12, 31), 2, datetime(2028, 2, 29)),
        (datetime(2026, 11, 15), 14, datetime(2028, 1, 15)),
    ],
)
def test_adding_months_keeps_the_day_or_takes_the_months_last(
    start: datetime, months: int, end: datetime
) -> None:
    assert add_months(start, months) == end
