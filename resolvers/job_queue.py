"""The queue of background jobs (C3, F2, H4): queueing, claiming, finishing and reading jobs.

A job is a row of ``jobs``; every worker process on the database shares the queue. A job is
*ready* when it is ``QUEUED`` and its ``run_after`` has come, or when it is ``RUNNING`` but its
lease (``locked_until``) has run out: the worker that held it died, so another takes it over.

Claiming (``claim_next``) moves a ready job to ``RUNNING`` with ``locked_by`` (the worker),
``locked_until`` (the lease) and ``attempts + 1``, and is committed before the work starts:

* **PostgreSQL**: ``SELECT … FOR UPDATE SKIP LOCKED LIMIT 1`` and the ``UPDATE`` in one
  transaction; concurrent workers skip each other's rows instead of waiting.
* **SQLite** (no ``SKIP LOCKED``): the candidate ids are read first, then each is claimed with a
  conditional ``UPDATE … WHERE id = :id AND <ready>`` in a transaction of its own; SQLite
  serialises writers, so the second worker's ``UPDATE`` sees the first one's lease and changes
  nothing (rowcount 0), and it moves on to the next candidate.

Finishing is guarded the same way: ``complete`` and ``fail`` change the job only while it is still
``RUNNING`` under this worker's name, so a worker whose lease ran out (and whose job another worker
took over) cannot overwrite the outcome or add a second document. ``complete`` inserts the
document (with its whole content) in the same transaction that marks the job ``SUCCEEDED`` (F2):
a document exists exactly when its job succeeded.

``error`` holds ``CODE: detail`` — a code from ``ErrorCode`` (``JOB_FAILED`` for an unexpected
exception, or the code a handler raised with ``JobRejected``) and the exception's *type*, never its
message (it may carry personal data).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Document, Job
from storage.enums import DocumentKind, JobStatus

from .actor import Actor
from .errors import DomainError, ErrorCode
from .pagination import Page, check_page_size, decode_cursor, encode_cursor

LEASE = dt.timedelta(minutes=10)
FIRST_RETRY = dt.timedelta(seconds=30)
MAX_RETRY = dt.timedelta(minutes=30)
MAX_ERROR_LENGTH = 200
DEFAULT_MAX_ATTEMPTS = 3


class JobKind(enum.StrEnum):
    """What a job does; each kind has one handler (``server/job_handlers.py``)."""

    EXTENDED_INSURED_LIST = "EXTENDED_INSURED_LIST"
    # D8: the daily reminders and demands for unpaid invoices (one job per day).
    DUNNING = "DUNNING"


class JobRejected(Exception):
    """A handler's expected, final failure: the job fails at once with ``code`` (no retry);
    ``detail`` is a short word for the log and ``error`` (never personal data)."""

    def __init__(self, code: ErrorCode, detail: str | None = None) -> None:
        super().__init__(code.value)
        self.code = code
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class DocumentDraft:
    """A finished file a job hands back; it becomes an inbox ``Document`` when the job succeeds."""

    kind: DocumentKind
    title: str
    filename: str
    media_type: str
    content: bytes = dataclasses.field(repr=False)


def _ready(now: dt.datetime) -> ColumnElement[bool]:
    return or_(
        and_(Job.status == JobStatus.QUEUED, Job.run_after <= now),
        and_(
            Job.status == JobStatus.RUNNING,
            Job.locked_until < now,
            Job.attempts < Job.max_attempts,
        ),
    )


async def enqueue(
    db: AsyncSession,
    *,
    kind: str,
    now: dt.datetime,
    payload: dict[str, Any] | None = None,
    collectivity_id: int | None = None,
    requested_by_id: int | None = None,
    idempotency_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> tuple[Job, bool]:
    """Add a job to the caller's transaction; returns ``(job, created)``.

    With an ``idempotency_key`` the job runs once: when a job with that key exists (whatever its
    state) it is returned instead, with ``created`` False. Two concurrent requests with one key
    meet at the unique index: the loser's transaction is rolled back and the winner's job
    returned, so call this before the other writes of the transaction. (No SAVEPOINT: SQLite's
    driver would commit the whole transaction on its release.)
    """
    if idempotency_key is not None:
        existing = await db.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
        if existing is not None:
            return existing, False
    job = Job(
        kind=str(kind),
        payload=payload or {},
        status=JobStatus.QUEUED,
        idempotency_key=idempotency_key,
        collectivity_id=collectivity_id,
        requested_by_id=requested_by_id,
        attempts=0,
        max_attempts=max_attempts,
        run_after=now,
        created_at=now,
    )
    db.add(job)
    try:
        await db.flush()
    except IntegrityError:
        if idempotency_key is None:
            raise
        await db.rollback()
        winner = await db.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
        if winner is None:
            raise
        return winner, False
    return job, True


async def claim_next(
    db: AsyncSession, *, worker: str, now: dt.datetime, lease: dt.timedelta = LEASE
) -> Job | None:
    """Claim the oldest ready job for ``worker`` and commit; None when no job is ready."""
    if db.get_bind().dialect.name == "postgresql":
        job_id = await db.scalar(
            select(Job.id)
            .where(_ready(now))
            .order_by(Job.run_after, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        candidates = [] if job_id is None else [job_id]
    else:
        candidates = list(
            await db.scalars(
                select(Job.id).where(_ready(now)).order_by(Job.run_after, Job.id).limit(10)
            )
        )
        await db.commit()  # end the read: each claim below is a write transaction of its own
    for job_id in candidates:
        claimed = await db.execute(
            update(Job)
            .where(Job.id == job_id, _ready(now))
            .values(
                status=JobStatus.RUNNING,
                locked_by=worker,
                locked_until=now + lease,
                attempts=Job.attempts + 1,
                started_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            job = await db.scalar(
                select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
            )
            await db.commit()
            return job
        await db.rollback()
    await db.rollback()
    return None


async def extend_lease(
    db: AsyncSession, job_id: int, *, worker: str, now: dt.datetime, lease: dt.timedelta = LEASE
) -> bool:
    """Keep a long job's lease alive; False when the job is no longer this worker's."""
    result = await db.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker, Job.status == JobStatus.RUNNING)
        .values(locked_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _mine(job_id: int, worker: str) -> ColumnElement[bool]:
    return and_(Job.id == job_id, Job.locked_by == worker, Job.status == JobStatus.RUNNING)


async def complete(
    db: AsyncSession,
    job: Job,
    *,
    worker: str,
    now: dt.datetime,
    draft: DocumentDraft | None,
) -> Document | None:
    """Mark the job SUCCEEDED and add its document, in the caller's transaction (F2).

    Returns the document (or None without one). Raises ``LostJob`` when the job is no longer this
    worker's: the caller rolls back, so no document is left behind.
    """
    done = await db.execute(
        update(Job)
        .where(_mine(job.id, worker))
        .values(
            status=JobStatus.SUCCEEDED,
            finished_at=now,
            locked_by=None,
            locked_until=None,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise LostJob(job.id)
    if draft is None:
        return None
    if job.collectivity_id is None:
        raise ValueError("a job that makes a document must belong to a collectivity")
    document = Document(
        collectivity_id=job.collectivity_id,
        kind=draft.kind,
        title=draft.title[:200],
        filename=draft.filename[:200],
        media_type=draft.media_type,
        size=len(draft.content),
        content=draft.content,
        created_at=now,
        created_by_id=job.requested_by_id,
    )
    db.add(document)
    await db.flush()
    await db.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(document_id=document.id)
        .execution_options(synchronize_session=False)
    )
    return document


class LostJob(Exception):
    """The job's lease ran out and another worker took it over (or it was finished)."""


def describe_failure(code: ErrorCode, detail: str | None = None) -> str:
    """``error`` of a job: the code and a short detail (an exception's type, never its message,
    which may carry personal data)."""
    text = code.value if not detail else f"{code.value}: {detail}"
    return text[:MAX_ERROR_LENGTH]


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s after the first failed attempt, doubling, at most 30 minutes."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), MAX_RETRY)


async def fail(
    db: AsyncSession,
    job: Job,
    *,
    worker: str,
    now: dt.datetime,
    error: str,
    retry: bool,
) -> JobStatus | None:
    """Record a failed attempt: back to QUEUED after a wait while attempts remain and ``retry``,
    else FAILED. Returns the new status, or None when the job is no longer this worker's."""
    final = not retry or job.attempts >= job.max_attempts
    values: dict[str, Any] = {"error": error[:MAX_ERROR_LENGTH], "locked_by": None}
    if final:
        values |= {"status": JobStatus.FAILED, "finished_at": now, "locked_until": None}
    else:
        values |= {
            "status": JobStatus.QUEUED,
            "run_after": now + retry_delay(job.attempts),
            "locked_until": None,
        }
    result = await db.execute(
        update(Job)
        .where(_mine(job.id, worker))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return JobStatus.FAILED if final else JobStatus.QUEUED


async def fail_abandoned(db: AsyncSession, *, now: dt.datetime) -> int:
    """Jobs whose worker died on their last attempt (lease over, no attempts left): FAILED."""
    result = await db.execute(
        update(Job)
        .where(
            Job.status == JobStatus.RUNNING,
            Job.locked_until < now,
            Job.attempts >= Job.max_attempts,
        )
        .values(
            status=JobStatus.FAILED,
            finished_at=now,
            locked_by=None,
            locked_until=None,
            error=f"{ErrorCode.JOB_FAILED.value}: WorkerLost",
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def error_code(job: Job) -> ErrorCode | None:
    """The code part of a job's ``error``; None when there is none."""
    if not job.error:
        return None
    code = job.error.split(":", 1)[0].strip()
    try:
        return ErrorCode(code)
    except ValueError:
        return ErrorCode.JOB_FAILED


# Reading jobs within the actor's scope (B3): newest first, keyset on (created_at, id).

CURSOR_KIND = "jobs:newest"
_BIGINT = 2**63 - 1
_ORDER = (Job.created_at.desc(), Job.id.desc())
_ANCHOR = select(Job.created_at, Job.id).where(
    Job.id == bindparam("job_id"), Job.collectivity_id == bindparam("collectivity_id")
)


async def list_jobs(
    db: AsyncSession, actor: Actor, collectivity_id: int, *, first: int | None, after: str | None
) -> Page[Job]:
    actor.require_scope(collectivity_id, "id")
    size = check_page_size(first)
    statement = select(Job).where(Job.collectivity_id == collectivity_id)
    if after is not None:
        (job_id,) = decode_cursor(CURSOR_KIND, after, 1)
        if type(job_id) is not int or not 0 < job_id <= _BIGINT:
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
        anchor = (
            await db.execute(_ANCHOR, {"job_id": job_id, "collectivity_id": collectivity_id})
        ).first()
        if anchor is None:
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
        statement = statement.where(tuple_(Job.created_at, Job.id) < tuple_(*anchor))
    rows = list(await db.scalars(statement.order_by(*_ORDER).limit(size + 1)))
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor(CURSOR_KIND, [j.id]) for j in items],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
    )


async def count_jobs(db: AsyncSession, actor: Actor, collectivity_id: int) -> int:
    actor.require_scope(collectivity_id, "id")
    return (
        await db.scalar(
            select(func.count()).select_from(Job).where(Job.collectivity_id == collectivity_id)
        )
        or 0
    )


async def jobs_by_ids(db: AsyncSession, actor: Actor, job_ids: Sequence[int]) -> list[Job | None]:
    """For ``node``: jobs of collectivities in the actor's scope; others are None (B3)."""
    statement = select(Job).where(Job.id.in_(set(job_ids)))
    if actor.scope is not None:
        statement = statement.where(Job.collectivity_id.in_(actor.scope))
    found = {job.id: job for job in await db.scalars(statement)}
    return [found.get(i) for i in job_ids]
