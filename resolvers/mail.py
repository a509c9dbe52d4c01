"""E-mails to users (H3): rendered from ``mail_templates`` in the user's language and queued in
the same transaction as the change that causes them, so a mail is sent exactly when the change
is committed. Delivery (SMTP or the outbox folder, with retries) is the server's job.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import OutgoingMail

from .mail_templates import TEMPLATES


def render(template: str, language: str, **params: Any) -> tuple[str, str]:
    """Subject and plain-text body of ``template`` in ``language`` (Dutch when unknown)."""
    versions = TEMPLATES[template]
    subject, body = versions.get(language) or versions["nl"]
    return subject.format(**params), body.format(**params)


def queue_mail(
    db: AsyncSession,
    *,
    recipient: str,
    template: str,
    language: str,
    now: dt.datetime,
    **params: Any,
) -> OutgoingMail:
    """Add a mail to the caller's transaction; it is delivered once that commits."""
    subject, body = render(template, language, **params)
    mail = OutgoingMail(
        recipient=recipient,
        subject=subject,
        body_text=body,
        created_at=now,
        next_attempt_at=now,
    )
    db.add(mail)
    return mail
