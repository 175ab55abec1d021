"""The one JSON envelope every event travels in (DESIGN.md, "Events").

The envelope is deliberately untyped in `data`: it is the wire format. The typed, versioned
event models live in `shared.events`; `shared.events.registry` turns an envelope into one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    """One event on Kafka.

    `case_id` is the aggregate the event is about and the Kafka key: a client's case, or for a
    home's own events (offered, withdrawn, allocated) the home's id — so one aggregate's events
    stay in order on one partition.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=uuid4)
    type: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    occurred_at: AwareDatetime  # business time, from the injectable clock
    recorded_at: AwareDatetime  # wall time when the producer recorded it
    producer: str = Field(min_length=1, max_length=50)
    case_id: UUID
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)

    @property
    def key(self) -> bytes:
        return str(self.case_id).encode()

    def occurred(self) -> datetime:
        return self.occurred_at
