"""The e-mail message of a queued mail (H3), the same for SMTP and for the outbox folder."""

from __future__ import annotations

import email.utils
import re
from email.headerregistry import Address
from email.message import EmailMessage

from storage import OutgoingMail

_URL = re.compile(r"https?://[^\s<>\"']+")


def sender_address(sender: str) -> str:
    """The bare address (``noreply@example.nl``) of ``Name <noreply@example.nl>``."""
    return email.utils.parseaddr(sender)[1]


def build_message(mail: OutgoingMail, *, sender: str) -> EmailMessage:
    """A complete plain-text UTF-8 message: From, To, Subject, Date, Message-ID.

    ``Date`` is when the mail was queued, and ``Message-ID`` is derived from the mail's row, so a
    mail that is sent again (after a crash, see ``resolvers/mail_queue.py``) is the same message.
    Raises ``ValueError`` for a header that cannot be written (e.g. a line break in an address).
    """
    domain = sender_address(sender).rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(addr_spec=mail.recipient)
    message["Subject"] = mail.subject
    message["Date"] = email.utils.format_datetime(mail.created_at)
    message["Message-ID"] = f"<collectief.{mail.id}.{mail.created_at:%Y%m%d%H%M%S}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body_text, charset="utf-8")
    return message


def links_in(text: str) -> list[str]:
    """The http(s) URLs in a mail's text, in order."""
    return [url.rstrip(".,;:!?)") for url in _URL.findall(text)]
