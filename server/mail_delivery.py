"""Delivery of queued mails (H3): a background worker in every server process.

Use cases queue mails as rows of ``outgoing_mails`` in the transaction of the change that causes
them (``resolvers/mail.queue_mail``), so a request never waits for, or fails because of, a mail
server. This worker, started and stopped with the aiohttp app, polls the queue every
``COLLECTIEF_MAIL_POLL_SECONDS``; for each due mail it

1. claims the mail with a lease: a compare-and-set ``UPDATE`` that moves ``next_attempt_at`` ten
   minutes ahead, committed on its own (``resolvers/mail_queue.claim``). Exactly one of several
   workers, in one process or in many on the same PostgreSQL database, wins a given mail; the others
   skip it. The same statement is correct on SQLite and PostgreSQL (see that module), so there is
   no ``FOR UPDATE SKIP LOCKED`` variant to keep in step;
2. builds the message (``mail_message.build_message``) and hands it to the transport (SMTP, or the
   outbox folder when no SMTP server is configured), holding no database transaction meanwhile;
3. records the outcome in a new transaction: ``sent_at``, or on failure ``attempts + 1``,
   ``last_error`` (error type and short reason) and the next attempt after an exponential wait
   (30 s doubling to at most 30 minutes, then every 30 minutes: a mail is never dropped). Failures
   are logged as warnings with the mail id and the error type, never the mail's text (it holds
   single-use links).

A worker that dies mid-delivery leaves the lease behind; the mail is due again once it runs out.
``now`` is always the app's ``Clock``, so tests move a ``FixedClock`` past a wait instead of
sleeping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers import mail_queue
from resolvers.clock import Clock
from storage import OutgoingMail

from .mail_message import build_message
from .mail_transports import MailTransport, transport_from_settings
from .polling_worker import PollingWorker
from .settings import Settings

log = logging.getLogger("collectief.mail")

LEASE = dt.timedelta(minutes=10)


class MailDelivery(PollingWorker):
    """Delivers due mails from the queue through ``transport``; ``start``/``stop`` run it in the
    background, ``run_once`` does one round (tests, tools)."""

    name = "collectief-mail-delivery"
    what = "mail delivery"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        transport: MailTransport,
        clock: Clock,
        *,
        sender: str,
        poll_seconds: float = 1.0,
        batch_size: int = 20,
        lease: dt.timedelta = LEASE,
        first_retry: dt.timedelta = mail_queue.FIRST_RETRY,
        max_retry: dt.timedelta = mail_queue.MAX_RETRY,
        stop_timeout_seconds: float = 5.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.transport = transport
        self.clock = clock
        self.sender = sender
        super().__init__(
            poll_seconds=poll_seconds,
            batch_size=batch_size,
            stop_timeout_seconds=stop_timeout_seconds,
        )
        self.lease = lease
        self.first_retry = first_retry
        self.max_retry = max_retry

    def started_details(self) -> dict[str, object]:
        return {"transport": self.transport.describe()}

    async def run_once(self) -> int:
        """One round: claim and deliver the mails due now (at most ``batch_size``). Returns how
        many this worker claimed (delivered or failed)."""
        async with self.sessionmaker() as db:
            candidates = await mail_queue.due_mails(db, now=self.clock.now(), limit=self.batch_size)
        handled = 0
        for mail in candidates:
            if self.stopping:
                break
            if await self._claim(mail):
                handled += 1
                await self._deliver(mail)
        return handled

    async def _claim(self, mail: OutgoingMail) -> bool:
        async with self.sessionmaker() as db:
            won = await mail_queue.claim(db, mail, lease_until=self.clock.now() + self.lease)
            await db.commit()
        return won

    async def _deliver(self, mail: OutgoingMail) -> None:
        try:
            await self.transport.deliver(mail, build_message(mail, sender=self.sender))
        except Exception as error:
            attempts = mail.attempts + 1
            async with self.sessionmaker() as db:
                retry_at = await mail_queue.mark_failed(
                    db,
                    mail.id,
                    now=self.clock.now(),
                    error=error,
                    attempts=attempts,
                    first_retry=self.first_retry,
                    max_retry=self.max_retry,
                )
                await db.commit()
            log.warning(
                "mail delivery failed",
                extra={
                    "mail_id": mail.id,
                    "error_type": type(error).__name__,
                    "attempts": attempts,
                    "retry_at": retry_at.isoformat(),
                },
            )
            return
        async with self.sessionmaker() as db:
            await mail_queue.mark_sent(db, mail.id, now=self.clock.now())
            await db.commit()
        log.info("mail delivered", extra={"mail_id": mail.id, "attempts": mail.attempts + 1})


@contextlib.asynccontextmanager
async def mail_delivery(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> AsyncIterator[MailDelivery]:
    """The worker of this process, configured from ``settings``, running while in the block."""
    if not settings.smtp_host and settings.is_production:
        log.warning(
            "no SMTP server configured (COLLECTIEF_SMTP_HOST): mails are written to the outbox "
            "folder only"
        )
    worker = MailDelivery(
        sessionmaker,
        transport_from_settings(settings),
        clock,
        sender=settings.mail_from,
        poll_seconds=settings.mail_poll_seconds,
    )
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
