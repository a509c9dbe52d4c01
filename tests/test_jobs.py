"""Background jobs (C3, F2, H4): claimed once, retried after a lost worker, failures leave no
document and say why, run-once keys; job state polled over HTTP and scoped (B3)."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers import job_queue
from resolvers.clock import FixedClock
from resolvers.job_queue import DocumentDraft, JobKind
from server.job_handlers import default_handlers
from server.jobs import JobHandlers, JobRun, JobRunner
from storage import Job
from storage.enums import DocumentKind, JobStatus

from .employers import gid
from .http import Api, error_codes
from .inbox_steps import (
    document_count,
    employers_with_coverage,
    inbox,
    job_of,
    request_list,
    wait_for_job,
)

LIST = JobKind.EXTENDED_INSURED_LIST


def counting_handlers(calls: list[int], *, delay: float = 0.0) -> JobHandlers:
    """A handler that counts its runs and makes a small document."""

    async def handler(run: JobRun) -> DocumentDraft:
        calls.append(run.job.id)
        await asyncio.sleep(delay)
        return DocumentDraft(
            kind=DocumentKind.EXTENDED_INSURED_LIST,
            title="Lijst",
            filename="lijst.xlsx",
            media_type="application/octet-stream",
            content=b"complete",
        )

    handlers = JobHandlers()
    handlers.register(LIST, handler)
    return handlers


async def test_h4_a_job_is_claimed_by_one_of_two_runners(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await quiet_api.login(cast.main_x1.email)
    job = (await request_list(quiet_api, token, cast.x1.id))["job"]
    calls: list[int] = []
    handlers = counting_handlers(calls, delay=0.05)
    first = JobRunner(session_factory, clock, handlers, worker_id="worker-a")
    second = JobRunner(session_factory, clock, handlers, worker_id="worker-b")

    ran = await asyncio.gather(first.run_once(), second.run_once())

    assert sorted(ran) == [0, 1]
    assert len(calls) == 1
    finished = await job_of(quiet_api, token, job["id"])
    assert finished["status"] == "SUCCEEDED"
    assert finished["attempts"] == 1
    assert await document_count(session_factory) == 1


async def test_h4_many_jobs_spread_over_runners_each_run_once(
    session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)
    async with session_factory() as db:
        for _ in range(6):
            await job_queue.enqueue(db, kind=LIST, now=clock.now(), collectivity_id=cast.x1.id)
        await db.commit()
    calls: list[int] = []
    handlers = counting_handlers(calls, delay=0.01)
    runners = [JobRunner(session_factory, clock, handlers, worker_id=f"w{i}") for i in range(3)]

    await asyncio.gather(*(r.run_once() for r in runners))

    assert sorted(calls) == sorted(set(calls))
    assert len(calls) == 6
    assert await document_count(session_factory) == 6


async def test_h4_a_job_of_a_killed_worker_is_retried_after_its_lease(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await quiet_api.login(cast.main_x1.email)
    job = (await request_list(quiet_api, token, cast.x1.id))["job"]
    async with session_factory() as db:  # a worker claims it, then is killed
        claimed = await job_queue.claim_next(db, worker="killed", now=clock.now())
    assert claimed is not None
    calls: list[int] = []
    survivor = JobRunner(session_factory, clock, counting_handlers(calls), worker_id="survivor")

    assert await survivor.run_once() == 0  # the lease still holds
    assert (await job_of(quiet_api, token, job["id"]))["status"] == "RUNNING"
    clock.advance(job_queue.LEASE + dt.timedelta(seconds=1))
    assert await survivor.run_once() == 1

    finished = await job_of(quiet_api, token, job["id"])
    assert finished["status"] == "SUCCEEDED"
    assert finished["attempts"] == 2
    assert len(calls) == 1


async def test_h4_a_killed_worker_on_the_last_attempt_fails_the_job(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await quiet_api.login(cast.main_x1.email)
    job_id = (await request_list(quiet_api, token, cast.x1.id))["job"]["id"]
    for _ in range(3):  # three workers die in turn
        async with session_factory() as db:
            assert await job_queue.claim_next(db, worker="doomed", now=clock.now()) is not None
        clock.advance(job_queue.LEASE + dt.timedelta(seconds=1))
    calls: list[int] = []

    await JobRunner(session_factory, clock, counting_handlers(calls)).run_once()

    token = await quiet_api.login(cast.main_x1.email)  # the clock moved past the idle timeout
    failed = await job_of(quiet_api, token, job_id)
    assert failed["status"] == "FAILED"
    assert failed["error"]["code"] == "JOB_FAILED"
    assert calls == []
    assert await document_count(session_factory) == 0


async def test_f2_a_failing_handler_leaves_no_document_and_records_why(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await quiet_api.login(
        cast.main_x1.email,
    )
    job_id = (await request_list(quiet_api, token, cast.x1.id))["job"]["id"]
    secret_name = "Xander-Geheim"

    async def breaks_halfway(run: JobRun) -> DocumentDraft:
        async with run.sessionmaker() as db:  # half the work is done, then it breaks
            await db.scalar(select(Job.id))
        raise ValueError(f"cannot write {secret_name}")

    handlers = JobHandlers()
    handlers.register(LIST, breaks_halfway)
    runner = JobRunner(session_factory, clock, handlers)

    await runner.run_once()
    retrying = await job_of(quiet_api, token, job_id)
    assert retrying["status"] == "QUEUED"
    assert retrying["error"]["code"] == "JOB_FAILED"
    assert await runner.run_once() == 0  # waits before the retry
    for _ in range(2):
        clock.advance(job_queue.MAX_RETRY)
        assert await runner.run_once() == 1

    token = await quiet_api.login(cast.main_x1.email)  # the clock moved past the idle timeout
    failed = await job_of(quiet_api, token, job_id)
    assert failed["status"] == "FAILED"
    assert failed["attempts"] == 3
    assert failed["document"] is None
    assert failed["error"]["code"] == "JOB_FAILED"
    assert "mislukt" in failed["error"]["message"]
    assert (await inbox(quiet_api, token, cast.x1.id))["totalCount"] == 0
    assert await document_count(session_factory) == 0
    async with session_factory() as db:
        stored = await db.scalar(select(Job.error))
    assert stored == "JOB_FAILED: ValueError"  # the type, never the message with a name
    assert secret_name not in (stored or "")


async def test_f2_a_worker_that_lost_its_lease_adds_no_document(
    session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)
    async with session_factory() as db:
        await job_queue.enqueue(db, kind=LIST, now=clock.now(), collectivity_id=cast.x1.id)
        await db.commit()
    async with session_factory() as db:
        slow = await job_queue.claim_next(db, worker="slow", now=clock.now())
    assert slow is not None
    clock.advance(job_queue.LEASE + dt.timedelta(seconds=1))
    calls: list[int] = []
    await JobRunner(session_factory, clock, counting_handlers(calls), worker_id="fast").run_once()
    draft = DocumentDraft(DocumentKind.EXTENDED_INSURED_LIST, "Laat", "laat.xlsx", "x", b"late")

    async with session_factory() as db:
        try:
            await job_queue.complete(db, slow, worker="slow", now=clock.now(), draft=draft)
        except job_queue.LostJob:
            await db.rollback()
        else:
            raise AssertionError("the slow worker could finish a job it had lost")

    assert calls == [slow.id]
    assert await document_count(session_factory) == 1


async def test_h4_a_job_with_an_idempotency_key_is_queued_once(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)
    async with session_factory() as db:
        first, created = await job_queue.enqueue(
            db, kind=LIST, now=clock.now(), collectivity_id=cast.x2.id, idempotency_key="run-1"
        )
        await db.commit()
    async with session_factory() as db:
        again, created_again = await job_queue.enqueue(
            db, kind=LIST, now=clock.now(), collectivity_id=cast.x2.id, idempotency_key="run-1"
        )
        await db.commit()
    assert created
    assert not created_again
    assert again.id == first.id

    token = await quiet_api.login(cast.main_x1.email)
    one = await request_list(quiet_api, token, cast.x1.id, idempotencyKey="klik-1")
    await JobRunner(session_factory, clock, counting_handlers([])).run_once()  # both jobs
    retried = await request_list(quiet_api, token, cast.x1.id, idempotencyKey="klik-1")
    fresh = await request_list(quiet_api, token, cast.x1.id, idempotencyKey="klik-2")

    assert retried["job"]["id"] == one["job"]["id"]
    assert retried["job"]["status"] == "SUCCEEDED"
    assert fresh["job"]["id"] != one["job"]["id"]


async def test_c3_a_list_waiting_in_the_queue_is_not_queued_twice(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await quiet_api.login(cast.main_x1.email)
    colleague = await quiet_api.login(cast.colleague_x1.email)

    first = await request_list(quiet_api, token, cast.x1.id)
    second = await request_list(quiet_api, colleague, cast.x1.id)

    assert first["job"]["status"] == "QUEUED"
    assert second["job"]["id"] == first["job"]["id"]


async def test_b3_jobs_of_other_employers_are_not_found(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await employers_with_coverage(session_factory)
    owner = await quiet_api.login(cast.main_x1.email)
    stranger = await quiet_api.login(cast.main_y1.email)
    job_id = (await request_list(quiet_api, owner, cast.x1.id))["job"]["id"]

    body = await quiet_api.gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": job_id}, token=stranger
    )
    listed = await quiet_api.gql(
        "query($id: ID!) { collectivity(id: $id) { jobs(first: 5) { totalCount } } }",
        {"id": gid("Collectivity", cast.x1.id)},
        token=stranger,
    )
    own = await quiet_api.gql(
        "query($id: ID!) { collectivity(id: $id) { jobs(first: 5) { totalCount "
        "edges { node { id kind status } } } } }",
        {"id": gid("Collectivity", cast.x1.id)},
        token=owner,
    )

    assert error_codes(body) == ["NOT_FOUND"]
    assert error_codes(listed) == ["NOT_FOUND"]
    jobs = own["data"]["collectivity"]["jobs"]
    assert jobs["totalCount"] == 1
    assert jobs["edges"][0]["node"] == {
        "id": job_id,
        "kind": "EXTENDED_INSURED_LIST",
        "status": "QUEUED",
    }


async def test_c3_the_app_runs_queued_jobs_in_the_background(
    jobs_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await jobs_api.login(cast.main_x1.email)

    job = (await request_list(jobs_api, token, cast.x1.id))["job"]
    finished = await wait_for_job(jobs_api, token, job["id"])

    assert finished["status"] == "SUCCEEDED"
    assert finished["document"]["mediaType"].endswith("spreadsheetml.sheet")
    async with session_factory() as db:
        row = await db.scalar(select(Job).where(Job.kind == "EXTENDED_INSURED_LIST"))
    assert row is not None
    assert row.status is JobStatus.SUCCEEDED
    assert row.locked_by is None
    assert row.document_id is not None


def test_c3_every_job_kind_has_a_handler() -> None:
    assert default_handlers().kinds == sorted(k.value for k in JobKind)


async def test_h4_a_long_job_keeps_its_lease_alive(
    session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)
    async with session_factory() as db:
        job, _created = await job_queue.enqueue(
            db, kind=LIST, now=clock.now(), collectivity_id=cast.x1.id
        )
        await db.commit()
    lease = dt.timedelta(seconds=0.3)
    stolen: list[object] = []

    async def long_work(run: JobRun) -> DocumentDraft:
        clock.advance(lease * 2)  # the work outlasts the lease it was claimed with ...
        await asyncio.sleep(0.4)  # ... but the heartbeat renews it meanwhile
        async with session_factory() as db:
            stolen.append(await job_queue.claim_next(db, worker="thief", now=clock.now()))
        return DocumentDraft(DocumentKind.EXTENDED_INSURED_LIST, "Lang", "lang.xlsx", "x", b"x")

    handlers = JobHandlers()
    handlers.register(LIST, long_work)
    await JobRunner(session_factory, clock, handlers, lease=lease).run_once()

    assert stolen == [None]
    async with session_factory() as db:
        finished = await db.get(Job, job.id)
    assert finished is not None
    assert finished.status is JobStatus.SUCCEEDED
    assert finished.attempts == 1


async def test_h4_concurrent_requests_with_one_key_make_one_job(
    session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)

    async def request() -> tuple[int, bool]:
        async with session_factory() as db:
            job, created = await job_queue.enqueue(
                db, kind=LIST, now=clock.now(), collectivity_id=cast.x1.id, idempotency_key="k"
            )
            await db.commit()
            return job.id, created

    results = await asyncio.gather(*(request() for _ in range(4)))

    assert len({job_id for job_id, _created in results}) == 1
    assert sorted(created for _job_id, created in results) == [False, False, False, True]
    async with session_factory() as db:
        assert len(list(await db.scalars(select(Job.id)))) == 1
