"""The event contracts: envelope, registry, versions and upcasting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

import shared.events  # noqa: F401 - registers every event type
from shared.envelope import Envelope
from shared.events.base import (
    _LATEST,
    _MODELS,
    _UPCASTERS,
    Event,
    UnknownEvent,
    envelope_for,
    parse_event,
    register,
    register_upcaster,
)
from shared.events.matching import HomeWithdrawn

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _envelope(type_: str, version: int, data: dict[str, Any]) -> Envelope:
    return Envelope(type=type_, version=version, occurred_at=NOW, recorded_at=NOW,
                    producer="test", case_id=uuid4(), data=data)


def test_an_event_survives_the_round_trip_through_bytes() -> None:
    event = HomeWithdrawn(home_id=uuid4(), corporation_id="c01", contingent_year=2027)
    env = envelope_for(event, case_id=event.home_id, occurred_at=NOW, recorded_at=NOW)
    again = Envelope.from_bytes(env.to_bytes())
    assert parse_event(again) == event
    assert again.key == str(event.home_id).encode()


def test_envelope_refuses_naive_times_and_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        Envelope(type="X", version=1, occurred_at=datetime(2027, 1, 1), recorded_at=NOW,
                 producer="p", case_id=uuid4(), data={})
    with pytest.raises(ValidationError):
        Envelope.model_validate({**_envelope("X", 1, {}).model_dump(), "extra": 1})


def test_unknown_type_and_unknown_version_are_refused() -> None:
    with pytest.raises(UnknownEvent, match="unknown event type"):
        parse_event(_envelope("NoSuchEvent", 1, {}))
    with pytest.raises(UnknownEvent, match="unknown version 9"):
        parse_event(_envelope("HomeWithdrawn", 9, {}))


def test_invalid_data_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        parse_event(_envelope("HomeWithdrawn", 1, {"home_id": "not-a-uuid"}))


def test_an_old_version_is_upcast_to_the_latest_model() -> None:
    @register
    class _Probe(Event):
        event_type = "_ProbeV1"
        producer = "test"
        count: int

    @register
    class _ProbeV2(Event):
        event_type = "_ProbeV1"
        version = 2
        producer = "test"
        count: int
        unit: str

    @register_upcaster("_ProbeV1", 1)
    def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "unit": "homes"}

    try:
        parsed = parse_event(_envelope("_ProbeV1", 1, {"count": 3}))
        assert parsed == _ProbeV2(count=3, unit="homes")
    finally:
        for key in [("_ProbeV1", 1), ("_ProbeV1", 2)]:
            _MODELS.pop(key, None)
        _LATEST.pop("_ProbeV1", None)
        _UPCASTERS.pop(("_ProbeV1", 1), None)


def test_registering_the_same_type_and_version_twice_fails() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        register(HomeWithdrawn)


def test_validation_error_fields_are_named_as_a_form_names_them() -> None:
    from shared.web import _field

    assert _field(("body", "risks", 1, "mitigation")) == "risks[1].mitigation"
    assert _field(("body", "client", "bsn")) == "client.bsn"
    assert _field(("query", "year")) == "year"
    assert _field(("body",)) == "request"
