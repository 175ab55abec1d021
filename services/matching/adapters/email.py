"""E-mail over SMTP, through an e-mail outbox.

A use case queues a message in the `notifications` table inside its own transaction; a
periodic job sends what is due (business time) and marks it sent. A crash between the change
and the sending therefore never loses a message; a crash between sending and marking may send
one twice (each carries `X-Transferpunt-Notification` so a mail system can drop the repeat).
With no SMTP host configured, nothing is queued or sent.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.matching.adapters.db.tables import notifications
from services.matching.adapters.metrics import EMAILS
from services.matching.settings import MatchingSettings
from shared.clock import Clock

log = logging.getLogger(__name__)


class NotificationTable:
    """The application's Mailbox port on the notifications table."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    async def queue(
        self, session: AsyncSession, *, kind: str, role: str, org: str,
        match_id: uuid.UUID | None, subject: str, body: str, due_at: datetime,
    ) -> None:
        if not self.enabled:
            return
        await session.execute(sa.insert(notifications).values(
            kind=kind, recipient_role=role, recipient_org=org, match_id=match_id,
            subject=subject[:200], body=body, due_at=due_at, status="pending",
        ))

    async def cancel_pending(self, session: AsyncSession, match_id: uuid.UUID,
                             kind: str) -> None:
        if not self.enabled:
            return
        await session.execute(sa.update(notifications).where(
            notifications.c.match_id == match_id, notifications.c.kind == kind,
            notifications.c.status == "pending").values(status="cancelled"))


class SmtpSender:
    def __init__(self, settings: MatchingSettings) -> None:
        self._s = settings

    def send(self, to: str, subject: str, body: str, reference: str) -> None:
        s = self._s
        message = EmailMessage()
        message["From"] = s.smtp_sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="transferpunt")
        message["X-Transferpunt-Notification"] = reference
        message.set_content(body)
        assert s.smtp_host
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** attempts, 3600))


async def send_due_notifications(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, settings: MatchingSettings,
    sender: SmtpSender, batch: int = 50,
) -> int:
    """Send the e-mails that are due; a failure is retried later with back-off, never lost."""
    now, wall = clock.now(), datetime.now(UTC)
    n = notifications.c
    sent = 0
    async with sessions() as session, session.begin():
        rows = (await session.execute(
            sa.select(notifications)
            .where(n.status == "pending", n.due_at <= now,
                   sa.or_(n.next_attempt_at.is_(None), n.next_attempt_at <= wall))
            .order_by(n.id).limit(batch).with_for_update(skip_locked=True)
        )).all()
        for row in rows:
            address = settings.address_of(row.recipient_org)
            if address is None:
                await session.execute(sa.update(notifications).where(n.id == row.id).values(
                    status="undeliverable",
                    last_error="no e-mail address is configured for this organisation"))
                EMAILS.labels("undeliverable").inc()
                continue
            try:
                await asyncio.to_thread(sender.send, address, row.subject, row.body,
                                        f"matching-{row.id}")
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("e-mail %d not sent (%s); retrying later", row.id,
                            type(exc).__name__)
                await session.execute(sa.update(notifications).where(n.id == row.id).values(
                    attempts=row.attempts + 1, next_attempt_at=wall + _backoff(row.attempts),
                    last_error=type(exc).__name__))
                EMAILS.labels("retry").inc()
                continue
            await session.execute(sa.update(notifications).where(n.id == row.id)
                                  .values(status="sent", sent_at=wall,
                                          attempts=row.attempts + 1))
            EMAILS.labels("sent").inc()
            sent += 1
    return sent
