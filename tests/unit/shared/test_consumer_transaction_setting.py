"""How long a consumer's transaction may take more events of its poll is a setting
(`TRANSFERPUNT_CONSUMER_TRANSACTION_MS`), and the runtime hands it to the consumer: the
benchmark's sustained rate depends on it (docs/benchmark.md, round nineteen)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from shared.db import inbox_table, outbox_table
from shared.runtime import build_runtime
from shared.settings import ServiceSettings


def _consumer_seconds(settings: ServiceSettings) -> float:
    metadata = sa.MetaData(schema="probe")
    runtime = build_runtime(
        service="probe", settings=settings, metadata=metadata,
        outbox_table=outbox_table(metadata), inbox_table=inbox_table(metadata),
        migrations_dir=Path("."), handlers=lambda outbox, clock: {},
        subscribe_to=["transferpunt.probe.events"])
    assert runtime.consumer is not None
    return runtime.consumer.transaction_seconds


def test_the_runtime_gives_the_consumer_the_configured_transaction_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert _consumer_seconds(ServiceSettings(environment="test")) == pytest.approx(0.1)
    monkeypatch.setenv("TRANSFERPUNT_CONSUMER_TRANSACTION_MS", "20")
    assert _consumer_seconds(ServiceSettings(environment="test")) == pytest.approx(0.02)


@pytest.mark.parametrize("ms", ["0", "-5", "5001", "soon"])
def test_a_transaction_time_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                    ms: str) -> None:
    monkeypatch.setenv("TRANSFERPUNT_CONSUMER_TRANSACTION_MS", ms)
    with pytest.raises(ValidationError, match="consumer_transaction_ms"):
        ServiceSettings(environment="test")
