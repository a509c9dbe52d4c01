"""E-mail delivery (H3): queued mails reach a real SMTP server (aiosmtpd), or the outbox folder
when none is configured; a mail server that is down loses nothing; several workers send each mail
once; delivery never holds up a request."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import email
import email.policy
import email.utils
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from email.message import EmailMessage

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resolvers import mail_queue
from resolvers.clock import FixedClock
from resolvers.mail import queue_mail
from resolvers.mail_templates import TEMPLATES
from server.app import create_app
from server.mail_delivery import MailDelivery
from server.mail_transports import OutboxTransport, SmtpTransport, transport_from_settings
from server.settings import Settings, SettingsError
from storage import OutgoingMail

from . import factories
from .employers import make_employers, payload_of
from .http import Api
from .mailbox import Mailbox, free_port

TEMPLATE = "h3_delivery_test"
LINK = "https://portaal.example.nl/activeren#token=eenmalig-123"
SENDER = "Collectief Zorg <noreply@collectief.example.nl>"
SECRET_LINE = "Alleen voor Zoë: één keer te gebruiken."
ME = "{ me { user { email } } }"
INVITE = """
mutation($input: InviteColleagueInput!) {
  inviteColleague(input: $input) { user { email status } userErrors { field code message } }
}
"""


@pytest.fixture(autouse=True)
def delivery_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """A template of this test's own, with non-ASCII text in subject and body."""
    monkeypatch.setitem(
        TEMPLATES,
        TEMPLATE,
        {
            "nl": (
                "Welkom bij Collectief, {name} – één stap nog",
                "Beste {name},\n\nActiveer je account: {link}\n\n" + SECRET_LINE + "\n",
            ),
            "en": ("Welcome to Collectief, {name}", "Dear {name},\n\nActivate: {link}\n"),
        },
    )


async def queue(
    session_factory: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    *,
    count: int = 1,
    recipient: str = "marieke.jansen@werkgever.nl",
) -> list[int]:
    """Queue mails the way a use case does: ``queue_mail`` in a transaction that commits."""
    async with session_factory() as db:
        mails = [
            queue_mail(
                db,
                recipient=recipient,
                template=TEMPLATE,
                language="nl",
                now=clock.now(),
                name="Zoë",
                link=LINK,
            )
            for _ in range(count)
        ]
        await db.commit()
    return [mail.id for mail in mails]


async def mail_row(session_factory: async_sessionmaker[AsyncSession], mail_id: int) -> OutgoingMail:
    async with session_factory() as db:
        return (await db.scalars(select(OutgoingMail).where(OutgoingMail.id == mail_id))).one()


async def eventually(
    check: Callable[[], Awaitable[OutgoingMail | None]], seconds: float = 10.0
) -> OutgoingMail:
    """Poll ``check`` until it returns a row (the worker runs in the background)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (found := await check()) is None:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the mail did not reach the expected state in time")
        await asyncio.sleep(0.01)
    return found


def when(
    session_factory: async_sessionmaker[AsyncSession],
    mail_id: int,
    condition: Callable[[OutgoingMail], bool],
) -> Callable[[], Awaitable[OutgoingMail | None]]:
    async def check() -> OutgoingMail | None:
        row = await mail_row(session_factory, mail_id)
        return row if condition(row) else None

    return check


def smtp_settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return dataclasses.replace(
        settings,
        smtp_host=mailbox.host,
        smtp_port=mailbox.port,
        mail_from=SENDER,
        mail_poll_seconds=0.02,
    )


@contextlib.asynccontextmanager
async def serving(settings: Settings, engine: AsyncEngine, clock: FixedClock) -> AsyncIterator[Api]:
    """The whole app over HTTP, with its mail delivery worker running."""
    server = TestServer(create_app(settings, engine=engine, clock=clock), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            yield Api(base_url=str(server.make_url("")).rstrip("/"), http=http)
    finally:
        await server.close()


def delivery_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "collectief.mail"]


# --- SMTP -------------------------------------------------------------------------------------


async def test_h3_queued_mail_is_delivered_over_smtp_with_headers_and_utf8_body(
    engine, session_factory, settings, clock, mailbox: Mailbox
) -> None:
    async with serving(smtp_settings(settings, mailbox), engine, clock):
        [mail_id] = await queue(session_factory, clock)
        [received] = await mailbox.wait_for(1)
        row = await eventually(when(session_factory, mail_id, lambda m: m.sent_at is not None))

    assert received.mail_from == "noreply@collectief.example.nl"
    assert received.rcpt_tos == ["marieke.jansen@werkgever.nl"]
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "marieke.jansen@werkgever.nl"
    assert message["Subject"] == "Welkom bij Collectief, Zoë – één stap nog"
    assert email.utils.parsedate_to_datetime(message["Date"]) == clock.now()
    assert message["Message-ID"].endswith("@collectief.example.nl>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == f"Beste Zoë,\n\nActiveer je account: {LINK}\n\n{SECRET_LINE}\n"
    assert (row.sent_at, row.attempts, row.last_error) == (clock.now(), 1, None)


async def test_h3_mail_server_down_keeps_the_mail_and_delivers_it_once_back(
    engine, session_factory, settings, clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="collectief.mail")
    server = Mailbox()  # not started: nothing listens on its port
    async with serving(smtp_settings(settings, server), engine, clock):
        [mail_id] = await queue(session_factory, clock)
        failed = await eventually(when(session_factory, mail_id, lambda m: m.attempts == 1))

        assert failed.sent_at is None
        assert failed.last_error is not None
        assert failed.last_error.startswith("SMTPConnectError")
        assert failed.next_attempt_at == clock.now() + dt.timedelta(seconds=30)
        [warning] = [r for r in delivery_records(caplog) if r.levelno == logging.WARNING]
        assert (warning.mail_id, warning.error_type) == (mail_id, "SMTPConnectError")  # type: ignore[attr-defined]

        await server.start()
        try:
            await asyncio.sleep(0.2)  # ten polls: the retry is not due yet
            assert server.received == []
            clock.advance(dt.timedelta(seconds=30))
            [received] = await server.wait_for(1)
            delivered = await eventually(
                when(session_factory, mail_id, lambda m: m.sent_at is not None)
            )
        finally:
            await server.stop()

    assert received.message["Subject"].startswith("Welkom bij Collectief")
    assert (delivered.sent_at, delivered.attempts) == (clock.now(), 2)
    logged = " ".join(str(vars(r)) for r in delivery_records(caplog))
    assert SECRET_LINE not in logged  # never the mail's text
    assert "eenmalig-123" not in logged


async def test_h3_failed_attempts_wait_longer_each_time_up_to_30_minutes_and_never_stop(
    session_factory, clock
) -> None:
    nobody_listens = SmtpTransport(host="127.0.0.1", port=free_port(), timeout=5)
    worker = MailDelivery(session_factory, nobody_listens, clock, sender=SENDER)
    [mail_id] = await queue(session_factory, clock)

    waits = []
    for _ in range(9):
        assert await worker.run_once() == 1
        wait = (await mail_row(session_factory, mail_id)).next_attempt_at - clock.now()
        waits.append(wait)
        clock.advance(wait - dt.timedelta(seconds=1))
        assert await worker.run_once() == 0  # not before its time
        clock.advance(dt.timedelta(seconds=1))

    minutes = [w / dt.timedelta(minutes=1) for w in waits]
    assert minutes == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    row = await mail_row(session_factory, mail_id)
    assert (row.attempts, row.sent_at) == (9, None)
    assert row.last_error is not None
    assert row.last_error.startswith("SMTPConnectError")


async def test_h3_smtp_login_goes_over_starttls_with_a_verified_certificate(
    session_factory, clock
) -> None:
    server = Mailbox(credentials=("collectief", "s3cret-wachtwoord"), tls=True)
    await server.start()
    try:
        transport = SmtpTransport(
            host=server.host,
            port=server.port,
            username="collectief",
            password="s3cret-wachtwoord",
            starttls=True,
            tls_context=server.client_tls_context,
        )
        worker = MailDelivery(session_factory, transport, clock, sender=SENDER)
        [mail_id] = await queue(session_factory, clock)
        assert await worker.run_once() == 1
    finally:
        await server.stop()

    [received] = server.received
    assert (received.tls, received.login) == (True, "collectief")
    assert (await mail_row(session_factory, mail_id)).sent_at == clock.now()


async def test_h3_starttls_refuses_an_unverifiable_certificate_and_sends_nothing(
    session_factory, clock
) -> None:
    server = Mailbox(tls=True)  # self-signed: not trusted by the system's CAs
    await server.start()
    try:
        transport = SmtpTransport(host=server.host, port=server.port, starttls=True)
        worker = MailDelivery(session_factory, transport, clock, sender=SENDER)
        [mail_id] = await queue(session_factory, clock)
        assert await worker.run_once() == 1
    finally:
        await server.stop()

    row = await mail_row(session_factory, mail_id)
    assert (row.sent_at, row.attempts, server.received) == (None, 1, [])
    assert row.last_error is not None


async def test_h3_starttls_required_but_not_offered_sends_nothing_in_clear(
    session_factory, clock, mailbox: Mailbox
) -> None:
    transport = SmtpTransport(host=mailbox.host, port=mailbox.port, starttls=True)
    worker = MailDelivery(session_factory, transport, clock, sender=SENDER)
    [mail_id] = await queue(session_factory, clock)

    assert await worker.run_once() == 1

    row = await mail_row(session_factory, mail_id)
    assert (row.sent_at, row.attempts, mailbox.received) == (None, 1, [])
    assert row.last_error is not None
    assert "STARTTLS" in row.last_error


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_h3_a_refused_smtp_login_is_a_failed_attempt_without_the_password(
    session_factory, clock
) -> None:
    server = Mailbox(credentials=("collectief", "het-goede-wachtwoord"))
    await server.start()
    try:
        transport = SmtpTransport(
            host=server.host, port=server.port, username="collectief", password="fout-wachtwoord"
        )
        worker = MailDelivery(session_factory, transport, clock, sender=SENDER)
        [mail_id] = await queue(session_factory, clock)
        assert await worker.run_once() == 1
    finally:
        await server.stop()

    row = await mail_row(session_factory, mail_id)
    assert (row.sent_at, row.attempts, server.received) == (None, 1, [])
    assert server.failed_logins > 0  # each mechanism the server offers was tried
    assert row.last_error is not None
    assert row.last_error.startswith("SMTPAuthenticationError")
    assert "fout-wachtwoord" not in row.last_error
    assert "fout-wachtwoord" not in repr(transport)


# --- outbox folder ----------------------------------------------------------------------------


async def test_h3_without_smtp_server_mail_is_written_to_the_outbox_and_its_link_logged(
    engine, session_factory, settings, clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="collectief.mail")
    assert settings.smtp_host == ""  # the development default
    outbox_settings = dataclasses.replace(settings, mail_from=SENDER, mail_poll_seconds=0.02)
    async with serving(outbox_settings, engine, clock):
        [mail_id] = await queue(session_factory, clock)
        row = await eventually(when(session_factory, mail_id, lambda m: m.sent_at is not None))

    [path] = (settings.data_dir / "outbox").iterdir()
    assert path.name == f"20261204T090000Z-{mail_id}.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert (message["From"], message["To"]) == (SENDER, "marieke.jansen@werkgever.nl")
    assert message["Subject"] == "Welkom bij Collectief, Zoë – één stap nog"
    assert message["Message-ID"]
    assert message["Date"]
    assert message.get_content() == f"Beste Zoë,\n\nActiveer je account: {LINK}\n\n{SECRET_LINE}\n"
    [logged] = [
        r for r in delivery_records(caplog) if r.getMessage() == "mail written to the outbox"
    ]
    assert (logged.mail_id, logged.path, logged.links) == (mail_id, str(path), [LINK])  # type: ignore[attr-defined]
    assert (row.sent_at, row.attempts) == (clock.now(), 1)


async def test_h3_in_production_the_outbox_log_line_carries_no_links(
    session_factory, settings, clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="collectief.mail")
    production = dataclasses.replace(settings, environment="production")
    transport = transport_from_settings(production)
    assert isinstance(transport, OutboxTransport)
    worker = MailDelivery(session_factory, transport, clock, sender=SENDER)
    [mail_id] = await queue(session_factory, clock)

    assert await worker.run_once() == 1

    [logged] = [
        r for r in delivery_records(caplog) if r.getMessage() == "mail written to the outbox"
    ]
    assert logged.mail_id == mail_id  # type: ignore[attr-defined]
    assert not hasattr(logged, "links")
    assert "eenmalig-123" not in str(vars(logged))
    assert len(list((settings.data_dir / "outbox").glob("*.eml"))) == 1


# --- several workers, and requests --------------------------------------------------------------


async def test_h3_a_due_mail_is_claimed_by_one_of_two_competing_workers(
    session_factory, clock
) -> None:
    [mail_id] = await queue(session_factory, clock)
    async with session_factory() as db:
        [seen] = await mail_queue.due_mails(db, now=clock.now(), limit=10)

    async def claim() -> bool:
        async with session_factory() as db:
            won = await mail_queue.claim(
                db, seen, lease_until=clock.now() + dt.timedelta(minutes=10)
            )
            await db.commit()
        return won

    results = await asyncio.gather(claim(), claim())

    assert sorted(results) == [False, True]
    assert (await mail_row(session_factory, mail_id)).next_attempt_at > clock.now()


async def test_h3_two_workers_on_one_database_deliver_each_mail_exactly_once(
    session_factory, clock, mailbox: Mailbox
) -> None:
    mail_ids = await queue(session_factory, clock, count=12)
    transport = SmtpTransport(host=mailbox.host, port=mailbox.port)
    workers = [
        MailDelivery(session_factory, transport, clock, sender=SENDER, batch_size=50)
        for _ in range(2)
    ]

    claimed = 0
    while rounds := sum(await asyncio.gather(*(w.run_once() for w in workers))):
        claimed += rounds

    assert claimed == 12
    received = await mailbox.wait_for(12)
    message_ids = [r.message["Message-ID"] for r in received]
    assert len(message_ids) == 12
    assert len(set(message_ids)) == 12
    rows = [await mail_row(session_factory, mail_id) for mail_id in mail_ids]
    assert all(row.sent_at == clock.now() and row.attempts == 1 for row in rows)


async def test_h3_a_hanging_mail_server_does_not_hold_up_requests(
    engine, session_factory, settings, clock, mailbox: Mailbox
) -> None:
    async with session_factory() as db:
        user = await factories.user(db, await factories.collectivity(db))
        await db.commit()
    mailbox.hold()  # accepts the connection, then keeps the mail's DATA waiting
    async with serving(smtp_settings(settings, mailbox), engine, clock) as api:
        [mail_id] = await queue(session_factory, clock)
        assert await asyncio.to_thread(mailbox.data_started.wait, 10)

        loop = asyncio.get_running_loop()
        started = loop.time()
        token = await api.login(user.email)  # a mutation that writes to the database
        body = await api.gql(ME, token=token)
        elapsed = loop.time() - started

        assert body["data"]["me"]["user"]["email"] == user.email
        assert elapsed < 5
        assert (await mail_row(session_factory, mail_id)).sent_at is None  # still in flight
        mailbox.release()
        await mailbox.wait_for(1)
        await eventually(when(session_factory, mail_id, lambda m: m.sent_at is not None))


async def test_h3_a_mutation_that_mails_succeeds_while_the_mail_server_is_down(
    engine, session_factory, settings, clock
) -> None:
    cast = await make_employers(session_factory)
    server = Mailbox()  # down until started below
    async with serving(smtp_settings(settings, server), engine, clock) as api:
        token = await api.login(cast.main_x1.email)

        body = await api.gql(
            INVITE,
            {"input": {"name": "Pieter de Vries", "email": "pieter.de.vries@werkgever.nl"}},
            token=token,
        )

        payload = payload_of(body, "inviteColleague")
        assert payload["userErrors"] == []
        assert payload["user"] == {"email": "pieter.de.vries@werkgever.nl", "status": "INVITED"}
        async with session_factory() as db:
            [mail_id] = await db.scalars(
                select(OutgoingMail.id).where(
                    OutgoingMail.recipient == "pieter.de.vries@werkgever.nl"
                )
            )
        await eventually(when(session_factory, mail_id, lambda m: m.attempts == 1))
        await server.start()
        try:
            clock.advance(dt.timedelta(seconds=30))
            [received] = await server.wait_for(1)
        finally:
            await server.stop()

    assert received.rcpt_tos == ["pieter.de.vries@werkgever.nl"]
    assert "/activeren#token=" in received.message.get_content()


# --- settings -----------------------------------------------------------------------------------


def test_h3_starttls_is_on_by_default_when_logging_in_and_the_password_is_never_shown() -> None:
    host = {"COLLECTIEF_SMTP_HOST": "smtp.example.nl"}
    login = host | {"COLLECTIEF_SMTP_USERNAME": "portal", "COLLECTIEF_SMTP_PASSWORD": "pw-123456"}

    assert Settings.from_env(host).smtp_starttls is False
    assert Settings.from_env(login).smtp_starttls is True
    assert Settings.from_env(login | {"COLLECTIEF_SMTP_STARTTLS": "false"}).smtp_starttls is False
    assert "pw-123456" not in repr(Settings.from_env(login))
    transport = transport_from_settings(Settings.from_env(login))
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port, transport.starttls) == ("smtp.example.nl", 587, True)


@pytest.mark.parametrize(
    "environ",
    [
        {"COLLECTIEF_SMTP_USERNAME": "portal"},
        {"COLLECTIEF_SMTP_PORT": "0"},
        {"COLLECTIEF_SMTP_TIMEOUT": "soon"},
        {"COLLECTIEF_MAIL_FROM": "Collectief"},
        {"COLLECTIEF_MAIL_POLL_SECONDS": "0"},
        {"COLLECTIEF_MAIL_POLL_SECONDS": "nan"},
    ],
)
def test_h3_unusable_mail_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(environ)


def test_h3_mail_settings_defaults() -> None:
    settings = Settings.from_env({"COLLECTIEF_MAIL_POLL_SECONDS": "0.5"})

    assert (settings.smtp_host, settings.smtp_port, settings.smtp_timeout) == ("", 587, 30)
    assert settings.mail_from == "Collectief <noreply@localhost>"
    assert settings.mail_poll_seconds == 0.5
