"""The built-in job handlers, one per ``JobKind`` (C3). Each opens its own session and calls a use
case in ``resolvers/``; what it returns becomes the job's inbox document (F2)."""

from __future__ import annotations

from resolvers.errors import ErrorCode
from resolvers.extended_insured_list import build_extended_list
from resolvers.job_queue import DocumentDraft, JobKind, JobRejected

from .jobs import JobHandlers, JobRun


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


def default_handlers() -> JobHandlers:
    handlers = JobHandlers()
    handlers.register(JobKind.EXTENDED_INSURED_LIST, extended_insured_list)
    return handlers
