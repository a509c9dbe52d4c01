"""Several workers (issue 7, part 5): two real ``collectief serve`` processes on one PostgreSQL
database, as a deployment behind a load balancer runs them.

The test makes a fresh database, migrates it with ``collectief migrate``, fills it, and starts two
``python -m server.cli serve`` processes (A and B) with the same ``COLLECTIEF_SECRET_KEY`` and
``COLLECTIEF_TOTP_KEY`` but data directories of their own, both with their job runner and mail
worker on. Then:

* A8: a session made on A works on B, and a logout on B ends it on A;
* A4: failed logins spread over A and B count towards one throttle: the account locks after ten
  failures in all (five per process would not lock it), and the lock mail is delivered once;
* C3, D8, H4: extended insured lists requested on both processes at once (same idempotency key)
  are one job each, run once (attempts 1, one document each, each job in the log of exactly one
  process); the daily DUNNING job is queued once for the day and runs once (one reminder); a
  download link made on A is served by B.

PostgreSQL must be reachable (``COLLECTIEF_TEST_POSTGRES_URL``): the test fails otherwise. The
processes and the database are removed afterwards, also on failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import secrets
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import ClientError, ClientSession
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resolvers.clock import Clock
from resolvers.invoicing import BillingTerms, invoice_for
from resolvers.prolongation import run_prolongation
from storage import (
    Document,
    DunningNotice,
    Invoice,
    Job,
    LoginThrottle,
    OutgoingMail,
    create_engine,
    create_session_factory,
)
from storage.enums import DocumentKind, JobStatus, PaymentMethod, ThrottleScope

from . import factories
from .databases import postgres_database
from .employers import gid
from .http import LOGIN, Api, error_codes
from .inbox_steps import REQUEST_LIST, job_of
from .test_prolongation import NOV, at, setup

ROOT = Path(__file__).resolve().parent.parent
ME = "{ me { user { email } } }"
LISTS = 6  # collectivities whose extended insured list is requested


@dataclasses.dataclass
class Worker:
    name: str
    process: asyncio.subprocess.Process
    api: Api
    data_dir: Path
    log: Path

    def ran_jobs(self) -> list[int]:
        """The ids of the jobs this process finished successfully, from its JSON log."""
        found = []
        for line in self.log.read_text().splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if entry.get("message") == "job succeeded":
                    found.append(int(entry["job_id"]))
        return found


@dataclasses.dataclass
class Deployment:
    a: Worker
    b: Worker
    sessionmaker: async_sessionmaker[AsyncSession]
    main_email: str
    victim_email: str
    collectivity_ids: list[int]
    dunning_invoice_id: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(url: str, data_dir: Path, shared: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTIEF_")}
    return env | shared | {"COLLECTIEF_DATABASE_URL": url, "COLLECTIEF_DATA_DIR": str(data_dir)}


async def run_command(env: dict[str, str], *args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()


async def fill(sessionmaker: async_sessionmaker[AsyncSession], today: dt.date) -> dict:
    """An employer whose main user sees LISTS collectivities (home plus links), each with a
    family; an unpaid acceptgiro invoice 10 days past its due date (a reminder is due today);
    a user whose logins will fail."""
    async with sessionmaker() as db:
        owner = await factories.customer(db)
        home = await factories.collectivity(db, owner)
        collectivities = [home]
        for _ in range(LISTS - 1):
            other = await factories.collectivity(db, owner)
            await factories.link(db, home, other)
            collectivities.append(other)
        for where in collectivities:
            await factories.family(db, where, children=1, employee_number="E1")
        main = await factories.user(db, home)
        victim = await factories.user(db, await factories.collectivity(db))
        billed, *_ = await setup(db, payment_method=PaymentMethod.ACCEPTGIRO)
        await db.commit()
    issued = today - dt.timedelta(days=40)  # due 30 days later: 10 days overdue today

    async def invoice(db: AsyncSession, borderel, year) -> None:  # type: ignore[no-untyped-def]
        await invoice_for(db, borderel, year, today=issued, now=at(20, 10), terms=BillingTerms())

    [outcome] = [
        o
        for o in await run_prolongation(
            sessionmaker, NOV, now=at(20, 10), collectivity_ids=[billed.id], after_borderel=invoice
        )
        if o.made
    ]
    async with sessionmaker() as db:
        invoice_id = await db.scalar(
            select(Invoice.id).where(Invoice.borderel_id == outcome.borderel_id)
        )
    return {
        "main_email": main.email,
        "victim_email": victim.email,
        "collectivity_ids": [c.id for c in collectivities],
        "dunning_invoice_id": invoice_id,
    }


async def start_worker(
    name: str, env: dict[str, str], directory: Path, http: ClientSession
) -> Worker:
    port = free_port()
    log = directory / f"{name}.log"
    with log.open("wb") as stderr:  # the child keeps its own copy
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.cli", "serve", "--port", str(port), cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    return Worker(name, process, Api(base_url, http), Path(env["COLLECTIEF_DATA_DIR"]), log)


async def wait_healthy(worker: Worker) -> None:
    async with asyncio.timeout(45):
        while True:
            if worker.process.returncode is not None:
                pytest.fail(f"worker {worker.name} exited: {worker.log.read_text()[-2000:]}")
            with contextlib.suppress(ClientError, OSError):
                async with worker.api.http.get(f"{worker.api.base_url}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)


async def stop(worker: Worker) -> None:
    if worker.process.returncode is None:
        worker.process.terminate()
        try:
            await asyncio.wait_for(worker.process.wait(), timeout=10)
        except TimeoutError:
            worker.process.kill()
            await worker.process.wait()


@pytest.fixture(scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    directory = tmp_path_factory.mktemp("workers")
    shared = {
        "COLLECTIEF_SECRET_KEY": secrets.token_urlsafe(48),
        "COLLECTIEF_TOTP_KEY": Fernet.generate_key().decode(),
        "COLLECTIEF_JOB_POLL_SECONDS": "0.1",
        "COLLECTIEF_MAIL_POLL_SECONDS": "0.1",
        "COLLECTIEF_LOG_LEVEL": "INFO",
        "COLLECTIEF_LOG_FORMAT": "json",
        "COLLECTIEF_GRAPHIQL": "false",
        # Behind a load balancer: the client address comes from X-Forwarded-For.
        "COLLECTIEF_TRUSTED_PROXY_COUNT": "1",
    }
    async with postgres_database() as url:
        await run_command(environment(url, directory / "migrate", shared), "migrate")
        engine: AsyncEngine = create_engine(url, pool_size=2)
        workers: list[Worker] = []
        try:
            sessionmaker = create_session_factory(engine)
            cast = await fill(sessionmaker, Clock().today())
            async with ClientSession() as http:
                try:
                    for name in ("a", "b"):
                        env = environment(url, directory / name, shared)
                        workers.append(await start_worker(name, env, directory, http))
                    await asyncio.gather(*(wait_healthy(w) for w in workers))
                    yield Deployment(workers[0], workers[1], sessionmaker, **cast)
                finally:
                    await asyncio.gather(*(stop(w) for w in workers))
        finally:
            await engine.dispose()


async def test_a8_a_session_made_on_one_worker_works_on_the_other(deployment: Deployment) -> None:
    a, b = deployment.a.api, deployment.b.api
    token = await a.login(deployment.main_email)
    body = await b.gql(ME, token=token)
    assert body["data"]["me"]["user"]["email"] == deployment.main_email
    body = await b.gql("mutation { logout { userErrors { code } } }", token=token)
    assert body["data"]["logout"]["userErrors"] == []
    assert error_codes(await a.gql(ME, token=token)) == ["UNAUTHENTICATED"]


async def login_codes(api: Api, email: str, password: str) -> list[str]:
    """A login from one client address (the throttle counts per address too; this one is the
    attacker's, so the other tests' logins from loopback are not delayed)."""
    _status, body = await api.post(
        LOGIN,
        {"input": {"email": email, "password": password, "bearer": True}},
        headers={"X-Forwarded-For": "198.51.100.23"},
    )
    return [e["code"] for e in body["data"]["login"]["userErrors"]]


async def test_a4_failed_logins_on_both_workers_count_towards_one_throttle(
    deployment: Deployment,
) -> None:
    email, workers = deployment.victim_email, (deployment.a, deployment.b)
    answers = []
    for i in range(10):  # five on each process, alternating
        answers += await login_codes(workers[i % 2].api, email, f"fout-wachtwoord-{i}")
    # Three free failures and the fourth are checked; later ones may meet a delay (real clock).
    assert answers[:4] == ["INVALID_CREDENTIALS"] * 4
    assert set(answers) <= {"INVALID_CREDENTIALS", "TOO_MANY_ATTEMPTS", "ACCOUNT_LOCKED"}
    # Ten failures in all lock the account on both processes, even with the right password; a
    # count per process (five each) would not have locked it.
    for worker in workers:
        assert await login_codes(worker.api, email, factories.PASSWORD) == ["ACCOUNT_LOCKED"]
    async with deployment.sessionmaker() as db:
        failures = await db.scalar(
            select(LoginThrottle.failures).where(
                LoginThrottle.scope == ThrottleScope.ACCOUNT, LoginThrottle.key == email
            )
        )
    assert failures == 12  # the refused attempts count too
    # The lock mail is delivered once, by one of the two mail workers.
    async with asyncio.timeout(20):
        while True:
            async with deployment.sessionmaker() as db:
                mails = list(
                    await db.scalars(select(OutgoingMail).where(OutgoingMail.recipient == email))
                )
            if mails and all(m.sent_at is not None for m in mails):
                break
            await asyncio.sleep(0.1)
    (mail,) = mails
    files = [path for w in workers for path in (w.data_dir / "outbox").glob(f"*-{mail.id}.eml")]
    assert len(files) == 1


async def test_c3_each_background_job_runs_once_with_both_workers(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    token = await a.api.login(deployment.main_email)
    # Each list asked on A and on B at the same moment, with one idempotency key.
    requests = [
        worker.api.gql(
            REQUEST_LIST,
            {"input": {"collectivityId": gid("Collectivity", c), "idempotencyKey": f"list-{c}"}},
            token=token,
        )
        for c in deployment.collectivity_ids
        for worker in (a, b)
    ]
    bodies = await asyncio.gather(*requests)
    answers = [body["data"]["requestExtendedInsuredList"] for body in bodies]
    assert all(answer["userErrors"] == [] for answer in answers)
    job_ids = [answer["job"]["id"] for answer in answers]
    assert job_ids[0::2] == job_ids[1::2]  # A and B answered with the same job
    assert len(set(job_ids)) == LISTS

    today = Clock().today()
    async with asyncio.timeout(40):
        while True:
            async with deployment.sessionmaker() as db:
                jobs = list(await db.scalars(select(Job).order_by(Job.id)))
            if len(jobs) == LISTS + 1 and all(
                j.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) for j in jobs
            ):
                break
            await asyncio.sleep(0.1)
    lists = [j for j in jobs if j.kind == "EXTENDED_INSURED_LIST"]
    (dunning,) = [j for j in jobs if j.kind == "DUNNING"]
    assert [(j.status, j.attempts) for j in jobs] == [(JobStatus.SUCCEEDED, 1)] * (LISTS + 1)
    assert sorted(j.collectivity_id for j in lists) == sorted(deployment.collectivity_ids)
    assert dunning.idempotency_key == f"DUNNING:{today}"
    async with deployment.sessionmaker() as db:
        documents = list(
            await db.scalars(
                select(Document.id).where(Document.kind == DocumentKind.EXTENDED_INSURED_LIST)
            )
        )
        reminders = list(
            await db.scalars(select(Document.id).where(Document.kind == DocumentKind.REMINDER))
        )
        notices = list(
            await db.scalars(
                select(DunningNotice.id).where(
                    DunningNotice.invoice_id == deployment.dunning_invoice_id
                )
            )
        )
    assert sorted(j.document_id for j in lists) == sorted(documents)
    assert len(documents) == LISTS
    assert len(reminders) == 1  # the daily dunning ran once, on one of the two
    assert len(notices) == 1
    # Each job is in the log of exactly one process.
    ran_a, ran_b = a.ran_jobs(), b.ran_jobs()
    assert sorted(ran_a + ran_b) == sorted(j.id for j in jobs)
    print(f"\nworkers: A ran {len(ran_a)} jobs, B ran {len(ran_b)}")
    # A download link made by A is served by B (one secret key).
    job = await job_of(a.api, token, job_ids[0])
    link = urlsplit(job["document"]["downloadUrl"])
    async with b.api.http.get(
        f"{b.api.base_url}{link.path}", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 200
        assert (await response.read())[:2] == b"PK"  # an .xlsx file
