"""A real SMTP server for tests (aiosmtpd on a loopback port) that keeps what it receives.

Use the ``mailbox`` fixture (registered in conftest.py) and point the app at it::

    settings = Settings.from_env({}, data_dir=tmp_path, smtp_host=mailbox.host,
                                 smtp_port=mailbox.port, mail_poll_seconds=0.02)
    ...
    [received] = await mailbox.wait_for(1)

``Mailbox(port=…)`` builds one that is not started (``await box.start()``), e.g. to show a mail
server that is down and comes back on the same port; ``hold()``/``release()`` make it accept
connections but keep a mail's DATA hanging (a slow server); ``credentials=`` requires SMTP AUTH and
``tls=True`` offers (and requires) STARTTLS with a self-signed certificate that
``client_tls_context`` trusts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import tempfile
import threading
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclasses.dataclass(frozen=True)
class Received:
    """One mail as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    login: str | None
    tls: bool


class Mailbox:
    host = "127.0.0.1"

    def __init__(
        self,
        port: int | None = None,
        *,
        credentials: tuple[str, str] | None = None,
        tls: bool = False,
    ) -> None:
        self.port = port or free_port()
        self.credentials = credentials
        self.received: list[Received] = []
        self.failed_logins = 0
        self._gate = threading.Event()
        self._gate.set()
        self.data_started = threading.Event()
        self._server_tls: ssl.SSLContext | None = None
        self.client_tls_context: ssl.SSLContext | None = None
        if tls:
            self._server_tls, self.client_tls_context = _self_signed_tls(self.host)
        self._controller: Controller | None = None

    async def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.credentials:
            kwargs |= {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": self._server_tls is not None,
            }
        if self._server_tls:
            kwargs |= {"tls_context": self._server_tls, "require_starttls": True}
        controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
        await asyncio.to_thread(controller.start)
        self._controller = controller

    async def stop(self) -> None:
        self._gate.set()
        controller, self._controller = self._controller, None
        if controller is not None:
            await asyncio.to_thread(controller.stop)

    def hold(self) -> None:
        """Keep every mail's DATA command waiting until ``release()``."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    async def wait_for(self, count: int, seconds: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` mails arrived; returns all of them."""
        deadline = asyncio.get_running_loop().time() + seconds
        while len(self.received) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{len(self.received)} mails arrived, expected {count}")
            await asyncio.sleep(0.01)
        return list(self.received)

    def _authenticate(
        self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.credentials is not None:
            user, password = self.credentials
            if auth_data.login == user.encode() and auth_data.password == password.encode():
                return AuthResult(success=True, auth_data=auth_data)
        self.failed_logins += 1
        return AuthResult(success=False, handled=False)


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        self.mailbox.data_started.set()
        # Runs on the server's own thread and loop: wait for release without blocking that loop.
        await asyncio.get_running_loop().run_in_executor(None, self.mailbox._gate.wait, 30)
        raw = bytes(envelope.content)
        auth = session.auth_data
        self.mailbox.received.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                raw=raw,
                # Line ends as a mail program shows them (SMTP carries CRLF).
                message=email.message_from_bytes(  # type: ignore[arg-type]
                    raw.replace(b"\r\n", b"\n"), policy=email.policy.default
                ),
                login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
                tls=session.ssl is not None,
            )
        )
        return "250 Message accepted for delivery"


def _self_signed_tls(host: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for ``host``, and a client context
    that trusts exactly that certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with tempfile.TemporaryDirectory() as directory:
        cert_file, key_file = Path(directory) / "cert.pem", Path(directory) / "key.pem"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    """A running SMTP server on a free loopback port, without login or TLS."""
    box = Mailbox()
    await box.start()
    try:
        yield box
    finally:
        await box.stop()
