"""Faults (issue 7, part 4): the database connection lost mid-request, the server killed during a
background job, the mail server unavailable. Real components throughout: PostgreSQL backends are
killed with ``pg_terminate_backend``, ``collectief serve`` runs as a separate process and is
SIGKILLed, the mail server is aiosmtpd (and a plain socket server that refuses service).

What other modules prove already and is not repeated here: a mail server that is down (connection
refused) and comes back, the backoff schedule and a hanging mail server (``test_mail_delivery``);
a job whose worker is lost, retried after its lease, and a lost lease adding no document, with
``JobRunner`` objects in one process (``test_jobs``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import io
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import undefer

from bench.generate import BENCH_USER_EMAIL, generate
from resolvers.clock import Clock, FixedClock
from resolvers.mail import queue_mail
from server.settings import Settings
from storage import AuditEvent, Collectivity, Document, Job, OutgoingMail
from storage.enums import JobStatus

from .employers import gid
from .http import Api
from .inbox_steps import REQUEST_LIST, serving
from .insured_steps import DEREGISTER, Cast, make_cast, payload, state_of
from .mailbox import Mailbox, free_port

ROOT = Path(__file__).resolve().parent.parent
BENCH_PASSWORD = "bench-wachtwoord-collectief"  # the published bench login

# What a masked answer must never carry: a trace, SQL, driver or table names.
LEAKS = ("Traceback", "INSERT", "UPDATE", "SELECT", "audit_events", "asyncpg", "sqlite", 'File "')


async def until(
    check: Callable[[], Awaitable[bool]], seconds: float = 10.0, every: float = 0.02
) -> None:
    """Poll ``check`` until it holds (the workers run in the background or in another process)."""
    async with asyncio.timeout(seconds):
        while True:
            if await check():
                return
            await asyncio.sleep(every)


def database_url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


def deregistration(cast: Cast) -> dict:
    return {
        "input": {"insuredPersonId": gid("InsuredPerson", cast.holder.id), "endDate": "2026-12-31"}
    }


async def audit_count(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory() as db:
        return await db.scalar(select(func.count()).select_from(AuditEvent)) or 0


def assert_clean_error(status: int, body: dict) -> None:
    """A GraphQL answer with the masked error: a code and a reference, nothing internal."""
    assert status == 200, (status, body)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["path"] == ["deregisterInsured"]
    # H4: the database went away: a retryable code with a reference, the details masked (G2).
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["extensions"]["reference"] in error["message"]
    text = str(body)
    for leak in LEAKS:
        assert leak not in text, (leak, body)


# --- (a) the database connection lost during a request ------------------------------------------


@pytest.fixture
async def cast(session_factory: async_sessionmaker[AsyncSession]) -> Cast:
    return await make_cast(session_factory)


async def test_fault_postgresql_connection_killed_mid_mutation_leaves_nothing_and_recovers(
    backend: str,
    engine: AsyncEngine,
    api: Api,
    cast: Cast,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """C5 over H4: ``deregisterInsured`` of the four Aalbers has bumped four versions, ended four
    enrollments and written four Mutation rows when its connection is killed (it waits on a lock
    we hold on ``audit_events``, its last insert). The client gets a masked error over HTTP, none
    of those writes remain, and the next requests work on fresh pooled connections."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL backends only; SQLite: see the next test")
    token = await api.login(cast.main_x1.email)
    before, audits = await state_of(session_factory), await audit_count(session_factory)
    dsn = make_url(database_url(engine)).set(drivername="postgresql")
    # One connection holds the lock; another watches and kills (statistics views are a
    # snapshot per transaction, so the watcher stays outside one).
    admin = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    watcher = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    others = "datname = current_database() AND pid NOT IN ($1, pg_backend_pid())"
    try:
        blocker = admin.transaction()
        await blocker.start()
        await admin.execute("LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE")
        request = asyncio.create_task(api.post(DEREGISTER, deregistration(cast), token=token))
        async with asyncio.timeout(10):
            while True:
                waiting = await watcher.fetch(
                    f"SELECT pid, query FROM pg_stat_activity WHERE {others} "
                    "AND wait_event_type = 'Lock'",
                    admin.get_server_pid(),
                )
                if waiting:
                    break
                await asyncio.sleep(0.02)
        [(_pid, query)] = waiting
        assert query.startswith("INSERT INTO audit_events")  # everything else is written by now
        victims = await watcher.fetch(
            f"SELECT pid FROM pg_stat_activity WHERE {others}", admin.get_server_pid()
        )
        for (pid,) in victims:  # the request's backend, and every idle one in the pool
            assert await watcher.fetchval("SELECT pg_terminate_backend($1)", pid)
        await blocker.rollback()
        status, body = await asyncio.wait_for(request, 10)
    finally:
        await admin.close()
        await watcher.close()

    assert_clean_error(status, body)
    assert await state_of(session_factory) == before  # no version, end date or history row
    assert await audit_count(session_factory) == audits
    result = payload(
        await api.gql(DEREGISTER, deregistration(cast), token=token), "deregisterInsured"
    )
    assert result["userErrors"] == []
    assert len(result["mutations"]) == 4
    assert (await state_of(session_factory))["mutations"] != before["mutations"]


async def test_fault_sqlite_database_locked_past_the_busy_timeout_is_a_clean_error(
    backend: str,
    engine: AsyncEngine,
    api: Api,
    cast: Cast,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """SQLite has no connection to lose: the database is a file opened inside the process. Its
    fault is the file being unavailable for writing: here another process's connection holds the
    write lock longer than the 10 s busy timeout. The mutation answers a masked error, writes
    nothing, and the next request works once the lock is gone."""
    if backend != "sqlite":
        pytest.skip("SQLite only")
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    path = make_url(database_url(engine)).database
    assert path
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held past the busy timeout
        started = asyncio.get_running_loop().time()
        status, body = await api.post(DEREGISTER, deregistration(cast), token=token)
        waited = asyncio.get_running_loop().time() - started
    finally:
        holder.rollback()
        holder.close()

    assert waited >= 9  # it waited for the lock, then gave up
    assert_clean_error(status, body)
    assert await state_of(session_factory) == before
    result = payload(
        await api.gql(DEREGISTER, deregistration(cast), token=token), "deregisterInsured"
    )
    assert result["userErrors"] == []
    assert len(result["mutations"]) == 4


# --- (b) the server killed during a background job ------------------------------------------------


@contextlib.asynccontextmanager
async def collectief_serve(
    url: str, data_dir: Path, port: int
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``collectief serve`` as its own process, healthy; killed (SIGKILL) when the block ends."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "COLLECTIEF_DATABASE_URL": url,
        "COLLECTIEF_DATA_DIR": str(data_dir),
        "COLLECTIEF_PORT": str(port),
        "COLLECTIEF_LOG_LEVEL": "WARNING",
        "COLLECTIEF_JOB_POLL_SECONDS": "0.05",
        "COLLECTIEF_JOB_LEASE_SECONDS": "2",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "serve", cwd=ROOT, env=environment
    )
    try:
        async with aiohttp.ClientSession() as http, asyncio.timeout(60):
            while True:
                assert process.returncode is None, "collectief serve exited"
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.1)
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()


async def job_row(session_factory: async_sessionmaker[AsyncSession], job_id: int) -> Job:
    async with session_factory() as db:
        job = await db.get(Job, job_id)
        assert job is not None
        return job


async def job_in(
    session_factory: async_sessionmaker[AsyncSession], job_id: int, states: set[JobStatus]
) -> bool:
    return (await job_row(session_factory, job_id)).status in states


async def list_documents(session_factory: async_sessionmaker[AsyncSession]) -> list[Document]:
    async with session_factory() as db:
        statement = select(Document).options(undefer(Document.content)).order_by(Document.id)
        return list(await db.scalars(statement))


async def test_fault_server_killed_during_a_job_retries_it_after_restart_one_whole_document(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    """C3, F2, H4: the extended list of 6,000 insured (about 1.5 s of work) is queued over HTTP;
    the server is SIGKILLed while the job is RUNNING. Nothing of the document exists then. The
    restarted server takes the job over once the killed one's lease (2 s) has run out; it
    succeeds on attempt 2 with exactly one document, the whole list."""
    await generate(
        engine, insured=6000, collectivities=1, largest=6000, months=12, today=Clock().today()
    )
    async with session_factory() as db:
        collectivity_id = await db.scalar(
            select(Collectivity.id).where(Collectivity.collectivity_number == "900001")
        )
    assert collectivity_id is not None
    url, port = database_url(engine), free_port()
    base = f"http://127.0.0.1:{port}"

    async with collectief_serve(url, tmp_path, port) as first, aiohttp.ClientSession() as http:
        api = Api(base_url=base, http=http)
        token = await api.login(BENCH_USER_EMAIL, BENCH_PASSWORD)
        body = await api.gql(
            REQUEST_LIST, {"input": {"collectivityId": gid("Collectivity", collectivity_id)}},
            token=token,
        )  # fmt: skip
        job_gid = payload(body, "requestExtendedInsuredList")["job"]["id"]
        async with session_factory() as db:
            job_id = await db.scalar(
                select(Job.id).where(Job.kind == "EXTENDED_INSURED_LIST").order_by(Job.id.desc())
            )
        assert job_id is not None
        await until(lambda: job_in(session_factory, job_id, {JobStatus.RUNNING}), 30, 0.01)
        first.send_signal(signal.SIGKILL)  # mid-job: no shutdown, no cleanup
        await first.wait()

    killed = await job_row(session_factory, job_id)
    assert (killed.status, killed.attempts, killed.document_id) == (JobStatus.RUNNING, 1, None)
    assert await list_documents(session_factory) == []  # no partial document

    async with collectief_serve(url, tmp_path, port), aiohttp.ClientSession() as http:
        api = Api(base_url=base, http=http)
        await until(
            lambda: job_in(session_factory, job_id, {JobStatus.SUCCEEDED, JobStatus.FAILED}), 60
        )
        token = await api.login(BENCH_USER_EMAIL, BENCH_PASSWORD)
        seen = await api.gql(
            "query($id: ID!) { node(id: $id) { ... on Job { status attempts document { id } } } }",
            {"id": job_gid},
            token=token,
        )

    done = await job_row(session_factory, job_id)
    assert (done.status, done.attempts, done.error) == (JobStatus.SUCCEEDED, 2, None)
    assert seen["data"]["node"]["status"] == "SUCCEEDED"
    [document] = await list_documents(session_factory)
    assert done.document_id == document.id
    sheet = load_workbook(io.BytesIO(document.content), read_only=True).worksheets[0]
    rows = sum(1 for _ in sheet.iter_rows(values_only=True))
    assert rows > 5000  # the whole list: a header and a row per insured listed
    assert document.size == len(document.content)


# --- (c) the mail server unavailable ---------------------------------------------------------------


@contextlib.asynccontextmanager
async def refusing_mail_server(port: int) -> AsyncIterator[list[int]]:
    """Something listens on ``port`` but refuses service, like a mail server in maintenance:
    ``421`` and the connection closed. Yields the list of connections it refused."""
    refused: list[int] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        refused.append(1)
        writer.write(b"421 4.3.2 Service not available, closing transmission channel\r\n")
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(refuse, "127.0.0.1", port)
    try:
        yield refused
    finally:
        server.close()
        await server.wait_closed()


async def mails(session_factory: async_sessionmaker[AsyncSession]) -> list[OutgoingMail]:
    async with session_factory() as db:
        return list(await db.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


async def test_fault_mail_server_out_for_several_attempts_each_mail_delivered_exactly_once(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> None:
    """H3: three mails queued while nothing listens on the SMTP port; then a server there that
    answers 421 and hangs up; then a real server (aiosmtpd) on the same port. The mails stay
    queued through two failed attempts, wait 30 s and then 60 s (nothing is tried before), and
    are delivered once each when the server is back — also after the claim's lease has run out
    and an hour has passed."""
    port = free_port()
    smtp = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=5, mail_poll_seconds=0.02
    )
    async with serving(engine, smtp, clock):
        async with session_factory() as db:
            for number in range(3):
                queue_mail(
                    db,
                    recipient=f"hr{number}@werkgever.nl",
                    template="password_reset",
                    language="nl",
                    now=clock.now(),
                    name="Zoë",
                    link=f"https://portaal.example.nl/reset#token=t{number}",
                    minutes=60,
                    product="Collectief Zorg",
                )
            await db.commit()

        async def attempted(count: int) -> bool:
            return all(m.attempts == count for m in await mails(session_factory))

        await until(lambda: attempted(1))  # refused: nothing listens
        first = await mails(session_factory)
        assert all(m.sent_at is None and m.last_error for m in first)
        assert {m.next_attempt_at - clock.now() for m in first} == {dt.timedelta(seconds=30)}

        async with refusing_mail_server(port) as refused:
            await asyncio.sleep(0.3)  # fifteen polls: not due yet
            assert refused == []
            clock.advance(dt.timedelta(seconds=30))
            await until(lambda: attempted(2))
            assert len(refused) == 3
        second = await mails(session_factory)
        assert all(m.sent_at is None for m in second)
        assert {m.next_attempt_at - clock.now() for m in second} == {dt.timedelta(seconds=60)}
        assert {(m.last_error or "").split(":")[0] for m in second} == {
            "SMTPConnectResponseError"  # the 421 greeting
        }

        mailbox = Mailbox(port=port)
        await mailbox.start()
        try:
            await asyncio.sleep(0.3)
            assert mailbox.received == []  # the 60 s wait holds
            clock.advance(dt.timedelta(seconds=60))
            received = await mailbox.wait_for(3)
            await until(
                lambda: _all_sent(session_factory)  # recorded, not only received
            )
            clock.advance(dt.timedelta(hours=1))  # past every lease and retry
            await asyncio.sleep(0.3)
        finally:
            await mailbox.stop()

    assert sorted(r.rcpt_tos[0] for r in mailbox.received) == [
        "hr0@werkgever.nl",
        "hr1@werkgever.nl",
        "hr2@werkgever.nl",
    ]
    assert len(received) == 3
    assert len({r.message["Message-ID"] for r in mailbox.received}) == 3
    delivered = await mails(session_factory)
    assert all(m.attempts == 3 and m.sent_at is not None for m in delivered)


async def _all_sent(session_factory: async_sessionmaker[AsyncSession]) -> bool:
    return all(m.sent_at is not None for m in await mails(session_factory))
