"""The queue of outgoing mails (H3, H4): which mails are due, claiming one for delivery, and
recording the outcome. Used by the delivery worker (``server/mail_delivery.py``).

A mail is due while ``sent_at IS NULL AND next_attempt_at <= now``. Several worker processes may
poll one database, so a worker first *claims* a mail with a compare-and-set lease::

    UPDATE outgoing_mails SET next_attempt_at = :now + lease
     WHERE id = :id AND sent_at IS NULL AND next_attempt_at = :next_attempt_at_it_read

and only the worker whose UPDATE changed the row (rowcount 1) delivers it. This is correct on both
databases without ``SELECT … FOR UPDATE SKIP LOCKED`` (which SQLite lacks): on PostgreSQL (READ
COMMITTED) a second UPDATE of the same row waits for the first to commit and then re-checks its
WHERE clause against the new row, where ``next_attempt_at`` has moved, so it changes nothing; on
SQLite writers are serialised, so the second UPDATE sees the committed lease. The claim is committed
before the mail is sent: no transaction or lock is held while talking to the mail server.

The lease also covers a worker that dies mid-delivery: the mail becomes due again when the lease
runs out and another worker sends it. Delivery is therefore *at least once*: a crash between the
server accepting a mail and ``sent_at`` being written sends that mail again after the lease (its
``Message-ID`` is the same, so mail clients show it once).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import OutgoingMail

FIRST_RETRY = dt.timedelta(seconds=30)
MAX_RETRY = dt.timedelta(minutes=30)
MAX_ERROR_LENGTH = 300


def retry_delay(
    attempts: int, *, first: dt.timedelta = FIRST_RETRY, cap: dt.timedelta = MAX_RETRY
) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: doubling from ``first``, at most ``cap``.

    There is no last attempt: past the cap a mail is tried every ``cap`` until it is delivered.
    """
    if attempts < 1:
        return dt.timedelta(0)
    # 2**20 × 30 s is far beyond any sensible cap; stop doubling before the numbers get silly.
    return min(first * 2 ** min(attempts - 1, 20), cap)


def describe_error(error: BaseException) -> str:
    """``last_error``: the error's type and a short reason, on one line (never the mail's text)."""
    reason = " ".join(str(error).split())
    text = f"{type(error).__name__}: {reason}" if reason else type(error).__name__
    return text[:MAX_ERROR_LENGTH]


async def due_mails(db: AsyncSession, *, now: dt.datetime, limit: int) -> list[OutgoingMail]:
    """Unsent mails whose next attempt is due, oldest due first (``ix_outgoing_mails_pending``)."""
    rows = await db.scalars(
        select(OutgoingMail)
        .where(OutgoingMail.sent_at.is_(None), OutgoingMail.next_attempt_at <= now)
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(limit)
    )
    return list(rows)


async def claim(db: AsyncSession, mail: OutgoingMail, *, lease_until: dt.datetime) -> bool:
    """Take ``mail`` (as read by ``due_mails``) for delivery until ``lease_until``.

    True when this caller won it; False when another worker claimed or sent it in the meantime.
    The caller commits at once, before delivering.
    """
    result = await db.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == mail.id,
            OutgoingMail.sent_at.is_(None),
            OutgoingMail.next_attempt_at == mail.next_attempt_at,
        )
        .values(next_attempt_at=lease_until)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def mark_sent(db: AsyncSession, mail_id: int, *, now: dt.datetime) -> None:
    """The mail server accepted the mail (or it is in the outbox): done, counting this attempt."""
    await db.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, OutgoingMail.sent_at.is_(None))
        .values(sent_at=now, attempts=OutgoingMail.attempts + 1)
        .execution_options(synchronize_session=False)
    )


async def mark_failed(
    db: AsyncSession,
    mail_id: int,
    *,
    now: dt.datetime,
    error: BaseException,
    attempts: int,
    first_retry: dt.timedelta = FIRST_RETRY,
    max_retry: dt.timedelta = MAX_RETRY,
) -> dt.datetime:
    """Record a failed attempt; ``attempts`` is the mail's count including this one, which sets
    the wait. Returns the time of the next attempt: the mail stays in the queue."""
    retry_at = now + retry_delay(attempts, first=first_retry, cap=max_retry)
    await db.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, OutgoingMail.sent_at.is_(None))
        .values(
            attempts=OutgoingMail.attempts + 1,
            last_error=describe_error(error),
            next_attempt_at=retry_at,
        )
        .execution_options(synchronize_session=False)
    )
    return retry_at
