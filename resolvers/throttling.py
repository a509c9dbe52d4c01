"""Throttling of failed password and two-factor attempts (A4), per account and per client address.

State lives in ``login_throttles`` so that limits hold across restarts and across every worker
process. Each attempt is checked and, when it fails, counted in the database — also when many
attempts arrive in one GraphQL document through aliases, because every ``login`` or
``verifyTwoFactor`` field runs this on its own, one after the other.

The policy (``ThrottlePolicy``): after a few free failures each further failure makes the next
attempt wait longer (1 s, 2 s, 4 s, … up to a cap); at the lock threshold the account (or the
address) is locked for ``lock_duration``. An attempt during a wait or a lock is refused without
checking the password, and still counted. Failures older than ``forget_after`` are forgotten; a
successful login forgets the account's failures (not the address's).

Unknown e-mail addresses are throttled exactly like known ones, so the answers reveal nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import weakref
from collections.abc import AsyncIterator

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage import LoginThrottle
from storage.enums import ThrottleScope

from .errors import DomainError, ErrorCode


@dataclasses.dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 3
    max_delay: dt.timedelta = dt.timedelta(seconds=60)
    account_lock_after: int = 10
    address_lock_after: int = 100
    lock_duration: dt.timedelta = dt.timedelta(minutes=15)
    forget_after: dt.timedelta = dt.timedelta(hours=1)

    def lock_after(self, scope: ThrottleScope) -> int:
        if scope is ThrottleScope.ACCOUNT:
            return self.account_lock_after
        return self.address_lock_after

    def blocked_until(
        self, scope: ThrottleScope, failures: int, now: dt.datetime
    ) -> dt.datetime | None:
        """Until when the next attempt is refused after ``failures`` failures."""
        if failures >= self.lock_after(scope):
            return now + self.lock_duration
        if failures <= self.free_failures:
            return None
        exponent = min(failures - self.free_failures - 1, 30)  # 2**30 s is past any cap
        return now + min(dt.timedelta(seconds=2**exponent), self.max_delay)


def _keys(account: str | None, address: str | None) -> list[tuple[ThrottleScope, str]]:
    keys = []
    if account:
        keys.append((ThrottleScope.ACCOUNT, account[:254]))
    if address:
        keys.append((ThrottleScope.ADDRESS, address[:254]))
    return keys


@dataclasses.dataclass(frozen=True)
class Refusal:
    """An attempt refused by the throttle; it has been counted already."""

    code: ErrorCode
    account_locked_now: bool


# SQLite (the embedded default) runs in one process: a lock per account there; PostgreSQL locks
# the account's row, across every worker.
_LOCAL_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


@contextlib.asynccontextmanager
async def one_attempt_at_a_time(
    db: AsyncSession, account: str | None, *, now: dt.datetime
) -> AsyncIterator[None]:
    """Check the attempts on one account one after the other (A4), so that a burst of guesses
    arriving together cannot all be checked before the first failures are counted: each attempt
    sees the failures before it, so at most the lock threshold of passwords (or codes) is ever
    checked per lock period.

    On PostgreSQL the account's throttle row is created when missing and locked (``FOR UPDATE``)
    until the caller's transaction ends; the caller commits or rolls back inside the block. On
    SQLite an in-process lock per account does the same (one process serves SQLite).
    """
    if not account:
        yield
        return
    key = account[:254]
    if db.get_bind().dialect.name == "postgresql":
        table = LoginThrottle.__table__
        await db.execute(
            postgresql.insert(table)
            .values(
                scope=ThrottleScope.ACCOUNT,
                key=key,
                failures=0,
                first_failure_at=now,
                last_failure_at=now,
                blocked_until=None,
            )
            .on_conflict_do_nothing(index_elements=[table.c.scope, table.c.key])
        )
        await db.execute(
            select(LoginThrottle.id)
            .where(LoginThrottle.scope == ThrottleScope.ACCOUNT, LoginThrottle.key == key)
            .with_for_update()
        )
        yield
        return
    lock = _LOCAL_LOCKS.get(key)
    if lock is None:
        lock = _LOCAL_LOCKS[key] = asyncio.Lock()
    async with lock:
        yield


async def refusal(
    db: AsyncSession,
    *,
    account: str | None,
    address: str | None,
    now: dt.datetime,
    policy: ThrottlePolicy,
) -> Refusal | None:
    """None when the attempt may go ahead; a ``Refusal`` while the account or the address waits
    or is locked (A4). A refused attempt is counted as a failure too, so hammering does not pay
    off; the count is in the caller's transaction, which must commit it."""
    blocked: list[tuple[ThrottleScope, int]] = []
    for scope, key in _keys(account, address):
        row = (
            await db.execute(
                select(LoginThrottle.failures, LoginThrottle.blocked_until).where(
                    LoginThrottle.scope == scope, LoginThrottle.key == key
                )
            )
        ).first()
        if row is not None and row.blocked_until is not None and row.blocked_until > now:
            blocked.append((scope, row.failures))
    if not blocked:
        return None
    locked_now = await record_failure(db, account=account, address=address, now=now, policy=policy)
    account_locked = locked_now or any(
        scope is ThrottleScope.ACCOUNT and failures >= policy.account_lock_after
        for scope, failures in blocked
    )
    code = ErrorCode.ACCOUNT_LOCKED if account_locked else ErrorCode.TOO_MANY_ATTEMPTS
    return Refusal(code=code, account_locked_now=locked_now)


async def _count(
    db: AsyncSession, scope: ThrottleScope, key: str, *, now: dt.datetime, window: dt.timedelta
) -> tuple[int, int]:
    """Add one to the counter of (scope, key), restarting it when its last count is older than
    ``window``; atomically (an upsert), so concurrent requests on several workers all count.
    Returns the row id and the new count."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = LoginThrottle.__table__
    stale = table.c.last_failure_at < now - window
    statement = (
        insert(table)
        .values(
            scope=scope,
            key=key,
            failures=1,
            first_failure_at=now,
            last_failure_at=now,
            blocked_until=None,
        )
        .on_conflict_do_update(
            index_elements=[table.c.scope, table.c.key],
            set_={
                "failures": case((stale, 1), else_=table.c.failures + 1),
                "first_failure_at": case((stale, now), else_=table.c.first_failure_at),
                "last_failure_at": now,
            },
        )
        .returning(table.c.id, table.c.failures)
    )
    row_id, count = (await db.execute(statement)).one()
    return row_id, count


async def record_failure(
    db: AsyncSession,
    *,
    account: str | None,
    address: str | None,
    now: dt.datetime,
    policy: ThrottlePolicy,
) -> bool:
    """Count a failed attempt for the account and the address. Returns True when this failure
    locked the account just now."""
    locked_now = False
    for scope, key in _keys(account, address):
        throttle_id, failures = await _count(db, scope, key, now=now, window=policy.forget_after)
        blocked_until = policy.blocked_until(scope, failures, now)
        await db.execute(
            update(LoginThrottle)
            .where(LoginThrottle.id == throttle_id)
            .values(blocked_until=blocked_until)
        )
        if scope is ThrottleScope.ACCOUNT and failures == policy.account_lock_after:
            locked_now = True
    return locked_now


@dataclasses.dataclass(frozen=True)
class MailRequestLimit:
    """Anonymous requests that send mail (a password reset, an account request): at most
    ``per_address`` per client address and ``per_recipient`` mails per address per ``window``,
    so that nobody can flood an inbox or the mail server."""

    per_address: int = 20
    per_recipient: int = 3
    window: dt.timedelta = dt.timedelta(hours=1)


async def allow_mail_request(
    db: AsyncSession,
    *,
    purpose: str,
    client_address: str | None,
    recipient: str,
    now: dt.datetime,
    limit: MailRequestLimit,
) -> bool:
    """Count one anonymous mail-sending request. Over the address limit: raises
    TOO_MANY_ATTEMPTS (after counting; the caller commits). Over the recipient limit: returns
    False — send nothing, but answer exactly as usual, so the limit reveals no account."""
    if client_address:
        _id, from_address = await _count(
            db, ThrottleScope.ADDRESS, f"{purpose}:{client_address}"[:254], now=now,
            window=limit.window,
        )  # fmt: skip
        if from_address > limit.per_address:
            await db.commit()
            raise DomainError(ErrorCode.TOO_MANY_ATTEMPTS)
    _id, to_recipient = await _count(
        db, ThrottleScope.ACCOUNT, f"{purpose}:{recipient}"[:254], now=now, window=limit.window
    )
    return to_recipient <= limit.per_recipient


async def forget_account_failures(db: AsyncSession, account: str) -> None:
    """A successful login clears the account's count (the address keeps its own)."""
    await db.execute(
        delete(LoginThrottle).where(
            LoginThrottle.scope == ThrottleScope.ACCOUNT, LoginThrottle.key == account[:254]
        )
    )
