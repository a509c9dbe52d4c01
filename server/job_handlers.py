"""The built-in job handlers, one per ``JobKind`` (C3). Each opens its own session and calls a use
case in ``resolvers/``; what it returns becomes the job's inbox document (F2)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers import job_queue
from resolvers.dunning import run_dunning
from resolvers.errors import ErrorCode
from resolvers.extended_insured_list import build_extended_list
from resolvers.invoicing import BillingTerms
from resolvers.job_queue import DocumentDraft, JobKind, JobRejected

from .jobs import Handler, JobHandlers, JobRun

log = logging.getLogger("collectief.jobs")


async def extended_insured_list(run: JobRun) -> DocumentDraft:
    """C3: the extended insured list of the job's collectivity, in the requester's language."""
    collectivity_id = run.job.collectivity_id
    if collectivity_id is None:
        raise JobRejected(ErrorCode.JOB_FAILED, "NoCollectivity")
    async with run.sessionmaker() as db:
        return await build_extended_list(
            db,
            collectivity_id,
            today=run.clock.today(),
            language=str(run.payload.get("language", "nl")),
        )


def dunning(terms: BillingTerms) -> Handler:
    """D8: the day's reminders and demands (idempotent; see ``resolvers.dunning``)."""

    async def handler(run: JobRun) -> None:
        result = await run_dunning(
            run.sessionmaker, today=run.clock.today(), now=run.clock.now(), terms=terms
        )
        log.info("dunning done", extra={"reminders": result.reminders, "demands": result.demands})

    return handler


async def schedule_daily(db: AsyncSession, today: dt.date, now: dt.datetime) -> None:
    """Queue the day's dunning job once, whichever worker gets here first (idempotency key)."""
    await job_queue.enqueue(
        db, kind=JobKind.DUNNING, now=now, idempotency_key=f"{JobKind.DUNNING.value}:{today}"
    )
    await db.commit()


def default_handlers(billing: BillingTerms | None = None) -> JobHandlers:
    handlers = JobHandlers()
    handlers.register(JobKind.EXTENDED_INSURED_LIST, extended_insured_list)
    handlers.register(JobKind.DUNNING, dunning(billing or BillingTerms()))
    return handlers
