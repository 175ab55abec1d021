"""Base class and registry for versioned domain events on Kafka.

Each event model names its `event_type` and `version`. A change that old readers could not
understand gets a new version and an upcaster from the old one, so a consumer always handles
the latest shape (the pattern pyeventsourcing calls upcasting).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.envelope import Envelope


class Event(BaseModel):
    """A domain fact another service may react to. Pseudonymous references only: never a
    name, BSN, date of birth, contact detail or free-text note."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    producer: ClassVar[str]


E = TypeVar("E", bound=type[Event])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_MODELS: dict[tuple[str, int], type[Event]] = {}
_LATEST: dict[str, int] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class UnknownEvent(LookupError):
    """The envelope names a type or version this build does not know."""


def register(model: E) -> E:
    """Class decorator: make an event model known to `parse_event`."""
    key = (model.event_type, model.version)
    if key in _MODELS:
        raise ValueError(f"event {key} registered twice")
    _MODELS[key] = model
    _LATEST[model.event_type] = max(_LATEST.get(model.event_type, 0), model.version)
    return model


def register_upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that turns version N's data into version N+1's."""

    def decorate(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(event_type, from_version)] = fn
        return fn

    return decorate


def known_types() -> frozenset[str]:
    return frozenset(_LATEST)


def parse_event(envelope: Envelope) -> Event:
    """Validate the envelope's data against its model, upcasting old versions first.

    Raises UnknownEvent for a type or version we cannot read, and pydantic's ValidationError
    for data that does not fit its model.
    """
    latest = _LATEST.get(envelope.type)
    if latest is None:
        raise UnknownEvent(f"unknown event type {envelope.type!r}")
    if envelope.version > latest or (envelope.type, envelope.version) not in _MODELS:
        raise UnknownEvent(f"unknown version {envelope.version} of {envelope.type}")
    data, version = dict(envelope.data), envelope.version
    while version < latest:
        upcast = _UPCASTERS.get((envelope.type, version))
        if upcast is None:
            raise UnknownEvent(f"no upcaster from {envelope.type} v{version}")
        data, version = upcast(data), version + 1
    return _MODELS[(envelope.type, latest)].model_validate(data)


def envelope_for(
    event: Event, *, case_id: UUID, occurred_at: datetime, recorded_at: datetime
) -> Envelope:
    """Wrap an event in the envelope, in JSON-ready form."""
    return Envelope(
        type=event.event_type,
        version=event.version,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        producer=event.producer,
        case_id=case_id,
        data=event.model_dump(mode="json"),
    )
