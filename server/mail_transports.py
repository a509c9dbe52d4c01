"""Where delivered mails go (H3): an SMTP server (aiosmtplib), or the outbox folder when no SMTP
server is configured (the development default: ``.eml`` files, their links in the log)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib

from storage import OutgoingMail

from .mail_message import links_in, sender_address
from .settings import Settings

log = logging.getLogger("collectief.mail")


class MailTransport(Protocol):
    def describe(self) -> str:
        """Where mails go, for the start-up log line (no secrets)."""
        ...

    async def deliver(self, mail: OutgoingMail, message: EmailMessage) -> None:
        """Hand ``message`` on; returns once it is accepted, raises when it was not."""
        ...


@dataclasses.dataclass(frozen=True, kw_only=True)
class SmtpTransport:
    """One SMTP connection per mail, through ``aiosmtplib``.

    With ``starttls`` the connection must be upgraded (the server's certificate is verified with
    ``tls_context``, by default the system's CAs); without it the mail goes in clear, for a relay
    on the same host or network.
    """

    host: str
    port: int = 587
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)
    starttls: bool = False
    timeout: float = 30
    tls_context: ssl.SSLContext | None = None

    def describe(self) -> str:
        return f"smtp://{self.host}:{self.port}" + (" (STARTTLS)" if self.starttls else "")

    async def deliver(self, mail: OutgoingMail, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            sender=sender_address(str(message["From"])),
            recipients=[mail.recipient],
            hostname=self.host,
            port=self.port,
            username=self.username or None,
            password=self.password or None,
            start_tls=self.starttls,
            tls_context=self.tls_context if self.starttls else None,
            timeout=self.timeout,
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class OutboxTransport:
    """Each mail as ``<directory>/<created, UTC>-<id>.eml``; one log line with the file's path and,
    when ``log_links``, the links in the mail, so a demo works without a mail server."""

    directory: Path
    log_links: bool = True

    def describe(self) -> str:
        return f"outbox folder {self.directory}"

    def path_of(self, mail: OutgoingMail) -> Path:
        return self.directory / f"{mail.created_at:%Y%m%dT%H%M%SZ}-{mail.id}.eml"

    async def deliver(self, mail: OutgoingMail, message: EmailMessage) -> None:
        path = self.path_of(mail)
        await asyncio.to_thread(_write_atomically, path, message.as_bytes())
        extra: dict[str, object] = {"mail_id": mail.id, "path": str(path)}
        if self.log_links:
            extra["links"] = links_in(mail.body_text)
        log.info("mail written to the outbox", extra=extra)


def _write_atomically(path: Path, content: bytes) -> None:
    """Readers of the folder never see half a file; writing the same mail again replaces it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, path)


def transport_from_settings(settings: Settings) -> MailTransport:
    """SMTP when ``COLLECTIEF_SMTP_HOST`` is set, else the outbox folder in the data directory."""
    if settings.smtp_host:
        return SmtpTransport(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
        )
    return OutboxTransport(
        directory=settings.data_dir / "outbox", log_links=not settings.is_production
    )
