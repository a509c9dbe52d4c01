"""The inbox and background jobs: ``Document``, ``Job``, ``DownloadLink`` and the
``Collectivity.documents`` / ``Collectivity.jobs`` connections (C3, F1, F2, G5)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers import documents, job_queue
from resolvers.download_links import DownloadLink as DownloadLinkRow
from storage import Document as DocumentRow
from storage import Job as JobRow
from storage import enums

from ..context import RequestContext
from ..errors import ErrorCode
from ..ids import Node, encode_id
from ..messages import message
from ..pagination import Connection

if TYPE_CHECKING:
    from .collectivity import Collectivity

Info = strawberry.Info[RequestContext, None]

DocumentKind = strawberry.enum(enums.DocumentKind, description="What an inbox document is (F1).")
JobStatus = strawberry.enum(
    enums.JobStatus,
    description="QUEUED (waiting, also between retries), RUNNING, SUCCEEDED (its document is in "
    "the inbox) or FAILED (see error; nothing was added to the inbox).",
)
JobKind = strawberry.enum(job_queue.JobKind, description="What a background job makes.")


@strawberry.type(description="A short-lived link to a file, for the logged-in user only (G5).")
class DownloadLink:
    url: str = strawberry.field(
        description="GET it with the same session (cookie or Bearer header) before expiresAt; "
        "another user gets 404, an expired link 410."
    )
    expires_at: dt.datetime

    @classmethod
    def from_link(cls, link: DownloadLinkRow) -> DownloadLink:
        return cls(url=link.url, expires_at=link.expires_at)


async def collectivity_of(info: Info, key: int) -> Any:
    """The ``Collectivity`` an object in scope belongs to (one DataLoader per request)."""
    from .collectivity import Collectivity

    row = await info.context.loaders.collectivity.load(key)
    assert row is not None  # the object was loaded within the actor's scope
    return Collectivity.from_row(row)


@strawberry.type(description="A document in a collectivity's inbox (Postvak IN, F1).")
class Document(Node):
    kind: DocumentKind
    title: str
    filename: str
    media_type: str = strawberry.field(description="e.g. the Excel media type.")
    size: int = strawberry.field(description="In bytes.")
    created_at: dt.datetime
    read_at: dt.datetime | None = strawberry.field(
        description="When a user of the collectivity marked it read; null while unread."
    )
    _row: strawberry.Private[DocumentRow]

    @classmethod
    def from_row(cls, row: DocumentRow) -> Document:
        return cls(
            id=encode_id("Document", row.id),
            kind=row.kind,
            title=row.title,
            filename=row.filename,
            media_type=row.media_type,
            size=row.size,
            created_at=row.created_at,
            read_at=row.read_at,
            _row=row,
        )

    @strawberry.field(description="Whether it has been marked read (markDocumentRead).")
    def read(self) -> bool:
        return self.read_at is not None

    @strawberry.field(
        description="A link to the file, made for the logged-in user when asked for and valid "
        "5 minutes; ask again for a fresh one."
    )
    def download_url(self, info: Info) -> str:
        context = info.context
        link = documents.document_link(
            context.rules.downloads(),
            context.require_actor(),
            self._row,
            now=context.clock.now(),
            language=context.language,
        )
        return link.url

    @strawberry.field
    async def collectivity(
        self, info: Info
    ) -> Annotated[Collectivity, strawberry.lazy("schema.types.collectivity")]:
        return await collectivity_of(info, self._row.collectivity_id)


@strawberry.type(description="Why a job failed, in the user's language; no personal data.")
class JobError:
    code: ErrorCode
    message: str


@strawberry.type(
    description="Background work (C3): poll it through node(id) or Collectivity.jobs until "
    "SUCCEEDED (then see document) or FAILED (then see error)."
)
class Job(Node):
    kind: JobKind
    status: JobStatus
    attempts: int = strawberry.field(description="Attempts started so far.")
    max_attempts: int
    created_at: dt.datetime
    started_at: dt.datetime | None = strawberry.field(description="Start of the latest attempt.")
    finished_at: dt.datetime | None
    _row: strawberry.Private[JobRow]

    @classmethod
    def from_row(cls, row: JobRow) -> Job:
        return cls(
            id=encode_id("Job", row.id),
            kind=job_queue.JobKind(row.kind),
            status=row.status,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            _row=row,
        )

    @strawberry.field(
        description="Why the latest attempt failed: final when FAILED; with QUEUED a retry is "
        "planned."
    )
    def error(self, info: Info) -> JobError | None:
        code = job_queue.error_code(self._row)
        if code is None:
            return None
        return JobError(code=code, message=message(code, info.context.language))

    @strawberry.field(description="The inbox document it made, once SUCCEEDED.")
    async def document(self, info: Info) -> Document | None:
        if self._row.document_id is None:
            return None
        async with info.context.db() as db:
            (row,) = await documents.documents_by_ids(
                db, info.context.require_actor(), [self._row.document_id]
            )
        return Document.from_row(row) if row else None

    @strawberry.field
    async def collectivity(
        self, info: Info
    ) -> Annotated[Collectivity, strawberry.lazy("schema.types.collectivity")] | None:
        if self._row.collectivity_id is None:
            return None
        return await collectivity_of(info, self._row.collectivity_id)


async def collectivity_documents(
    root: Any,
    info: Info,
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1..100 (default 50).")
    ] = None,
    after: str | None = None,
    unread_only: Annotated[
        bool, strawberry.argument(description="Only documents not yet marked read.")
    ] = False,
) -> Connection[Document]:
    context = info.context
    actor = context.require_actor()
    async with context.db() as db:
        page = await documents.list_documents(
            db, actor, root._key, first=first, after=after, unread_only=unread_only
        )

    async def count() -> int:
        async with context.db() as db:
            return await documents.count_documents(db, actor, root._key, unread_only=unread_only)

    return Connection.of(page, [Document.from_row(r) for r in page.items], count)


async def collectivity_jobs(
    root: Any,
    info: Info,
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1..100 (default 50).")
    ] = None,
    after: str | None = None,
) -> Connection[Job]:
    context = info.context
    actor = context.require_actor()
    async with context.db() as db:
        page = await job_queue.list_jobs(db, actor, root._key, first=first, after=after)

    async def count() -> int:
        async with context.db() as db:
            return await job_queue.count_jobs(db, actor, root._key)

    return Connection.of(page, [Job.from_row(r) for r in page.items], count)


async def document_node(context: RequestContext, key: int) -> Node | None:
    """``node(id)`` for a Document: within the actor's scope only (B3)."""
    async with context.db() as db:
        (row,) = await documents.documents_by_ids(db, context.require_actor(), [key])
    return Document.from_row(row) if row else None


async def job_node(context: RequestContext, key: int) -> Node | None:
    """``node(id)`` for a Job: within the actor's scope only (B3)."""
    async with context.db() as db:
        (row,) = await job_queue.jobs_by_ids(db, context.require_actor(), [key])
    return Job.from_row(row) if row else None
