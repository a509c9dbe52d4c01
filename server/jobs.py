"""The background job runner (C3, F2, H4): a worker in every server process.

Jobs are rows of ``jobs`` (``resolvers/job_queue.py`` holds the queue's SQL). Each process runs
one ``JobRunner``, started and stopped with the aiohttp app (``app.cleanup_ctx``) unless
``COLLECTIEF_RUN_JOBS`` is false. It polls every ``COLLECTIEF_JOB_POLL_SECONDS``; per round it

1. fails the jobs whose worker died on their last attempt (lease over, no attempts left);
2. claims one ready job at a time (``job_queue.claim_next``: ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, a conditional ``UPDATE`` on SQLite), committed before the work starts;
3. runs the handler registered for the job's kind (``JobHandlers``; the built-in ones are in
   ``server/job_handlers.py``) while a heartbeat keeps the lease alive; CPU-heavy work inside a
   handler runs in threads (``asyncio.to_thread``), never on the event loop;
4. records the outcome in one transaction: SUCCEEDED with its inbox document (inserted only now,
   complete, F2), or the error (``CODE: ExceptionType``, no message, no personal data) and
   either a retry after 30 s, doubling (while ``attempts < max_attempts``), or FAILED.

A worker that is killed mid-job leaves its lease; when it runs out another worker claims the job
again (a new attempt). A worker whose lease ran out while it was still busy finds the job taken
over when it finishes: it leaves nothing behind (no second document).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers import job_queue
from resolvers.clock import Clock
from resolvers.errors import ErrorCode
from resolvers.job_queue import DocumentDraft, JobRejected, LostJob
from storage import Job

from .polling_worker import PollingWorker

log = logging.getLogger("collectief.jobs")


@dataclasses.dataclass(frozen=True)
class JobRun:
    """What a handler gets: the claimed job, a session factory (one session per piece of work)
    and the clock."""

    job: Job
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock

    @property
    def payload(self) -> dict[str, Any]:
        return dict(self.job.payload or {})


Handler = Callable[[JobRun], Awaitable[DocumentDraft | None]]
# Queues the jobs of a day (e.g. dunning), in the session given; idempotent.
Daily = Callable[[AsyncSession, dt.date, dt.datetime], Awaitable[None]]


class JobHandlers:
    """The registry: one handler per job kind."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str, handler: Handler) -> None:
        if kind in self._handlers:
            raise ValueError(f"a handler for job kind {kind!r} is registered already")
        self._handlers[str(kind)] = handler

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    @property
    def kinds(self) -> list[str]:
        return sorted(self._handlers)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class JobRunner(PollingWorker):
    """Claims and runs jobs; ``start``/``stop`` run it in the background, ``run_once`` does one
    round (tests, tools)."""

    name = "collectief-job-runner"
    what = "job runner"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        handlers: JobHandlers,
        *,
        worker_id: str | None = None,
        poll_seconds: float = 1.0,
        batch_size: int = 10,
        lease: dt.timedelta = job_queue.LEASE,
        stop_timeout_seconds: float = 5.0,
        daily: Daily | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.daily = daily
        self._daily_done_on: dt.date | None = None
        self.clock = clock
        self.handlers = handlers
        self.worker_id = worker_id or new_worker_id()
        super().__init__(
            poll_seconds=poll_seconds,
            batch_size=batch_size,
            stop_timeout_seconds=stop_timeout_seconds,
        )
        self.lease = lease

    def started_details(self) -> dict[str, object]:
        return {"worker": self.worker_id}

    async def run_once(self) -> int:
        """One round: claim and run ready jobs (at most ``batch_size``). Returns how many this
        worker ran (succeeded or failed)."""
        await self._schedule_daily()
        async with self.sessionmaker() as db:
            abandoned = await job_queue.fail_abandoned(db, now=self.clock.now())
            await db.commit()
        if abandoned:
            log.warning("jobs failed after their worker was lost", extra={"count": abandoned})
        handled = 0
        while handled < self.batch_size and not self.stopping:
            async with self.sessionmaker() as db:
                job = await job_queue.claim_next(
                    db, worker=self.worker_id, now=self.clock.now(), lease=self.lease
                )
            if job is None:
                break
            handled += 1
            await self.execute(job)
        return handled

    async def _schedule_daily(self) -> None:
        """Once a day per worker: queue the day's jobs (their idempotency keys make it once per
        day in all, however many workers share the database)."""
        today = self.clock.today()
        if self.daily is None or self._daily_done_on == today:
            return
        async with self.sessionmaker() as db:
            try:
                await self.daily(db, today, self.clock.now())
            except IntegrityError:  # another worker queued them at the same moment
                await db.rollback()
        self._daily_done_on = today

    async def execute(self, job: Job) -> None:
        """Run a job this worker has claimed and record the outcome."""
        failure: tuple[str, bool] | None = None
        draft: DocumentDraft | None = None
        heartbeat = asyncio.create_task(self._heartbeat(job.id))
        try:
            handler = self.handlers.get(job.kind)
            if handler is None:
                raise JobRejected(ErrorCode.JOB_FAILED, "UnknownJobKind")
            draft = await handler(JobRun(job=job, sessionmaker=self.sessionmaker, clock=self.clock))
        except JobRejected as rejected:
            failure = (job_queue.describe_failure(rejected.code, rejected.detail), False)
        except Exception as error:
            log.warning(
                "job failed",
                extra={"job_id": job.id, "kind": job.kind, "error_type": type(error).__name__},
            )
            failure = (job_queue.describe_failure(ErrorCode.JOB_FAILED, type(error).__name__), True)
        finally:  # also when the runner is cancelled mid-job: the lease then runs out
            heartbeat.cancel()
        if failure is not None:
            await self._failed(job, *failure)
            return
        async with self.sessionmaker() as db:
            try:
                await job_queue.complete(
                    db, job, worker=self.worker_id, now=self.clock.now(), draft=draft
                )
            except LostJob:
                await db.rollback()
                log.warning(
                    "job taken over by another worker; result dropped", extra={"job_id": job.id}
                )
                return
            await db.commit()
        log.info("job succeeded", extra={"job_id": job.id, "kind": job.kind})

    async def _failed(self, job: Job, error: str, retry: bool) -> None:
        async with self.sessionmaker() as db:
            status = await job_queue.fail(
                db, job, worker=self.worker_id, now=self.clock.now(), error=error, retry=retry
            )
            await db.commit()
        log.info(
            "job attempt failed", extra={"job_id": job.id, "status": str(status), "error": error}
        )

    async def _heartbeat(self, job_id: int) -> None:
        """Extend the lease every third of it while the handler works."""
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.sessionmaker() as db:
                    mine = await job_queue.extend_lease(
                        db, job_id, worker=self.worker_id, now=self.clock.now(), lease=self.lease
                    )
                    await db.commit()
            except Exception as error:
                log.warning(
                    "lease not extended",
                    extra={"job_id": job_id, "error_type": type(error).__name__},
                )
                continue
            if not mine:
                return


@contextlib.asynccontextmanager
async def job_runner(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    handlers: JobHandlers,
    *,
    poll_seconds: float,
    enabled: bool = True,
    daily: Daily | None = None,
    lease: dt.timedelta = job_queue.LEASE,
) -> AsyncIterator[JobRunner | None]:
    """The runner of this process, running while in the block (None when disabled)."""
    if not enabled:
        yield None
        return
    runner = JobRunner(
        sessionmaker, clock, handlers, poll_seconds=poll_seconds, daily=daily, lease=lease
    )
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()
