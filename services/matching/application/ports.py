"""What the use cases need from outside, named by role; adapters implement them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class Mailbox(Protocol):
    """The e-mail outbox: a message is stored in the caller's transaction and sent later by a
    periodic job, so a crash never loses one. A no-op when e-mail is switched off."""

    async def queue(
        self, session: AsyncSession, *, kind: str, role: str, org: str,
        match_id: uuid.UUID | None, subject: str, body: str, due_at: datetime,
    ) -> None: ...

    async def cancel_pending(self, session: AsyncSession, match_id: uuid.UUID,
                             kind: str) -> None: ...


class Throughput(Protocol):
    """Throughput figures in business time (Prometheus). Called only after the commit."""

    def proposal_made(self, *, member_id: str, corporation_id: str, municipality: str,
                      first_wait: timedelta | None) -> None: ...

    def proposal_decided(self, *, corporation_id: str, reason: str,
                         took: timedelta) -> None: ...

    def tenancy_started(self, *, member_id: str, corporation_id: str, municipality: str,
                        application_to_key: timedelta) -> None: ...
