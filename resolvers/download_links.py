"""Short-lived download links (C2, F1, G5): sealed, expiring, bound to one user.

A link is ``{public URL}/downloads/{token}`` (just the path when no public URL is configured). The token is a Fernet token (AES-128-CBC encrypted
and HMAC-SHA256 authenticated) of a small JSON *ticket*: who may use it (user id), the
collectivity, what to serve (an inbox document, or the insured overview with its filter and sort),
the language of the file and the moment the link stops working. The Fernet key is derived from the
server secret ``COLLECTIEF_SECRET_KEY`` (HMAC-SHA256 with a fixed label), so every worker that
shares the secret accepts every link and nothing is stored: stateless, like the rest (H4).

Why sealed, not only signed: the overview's filter may hold a name or a BSN, and URLs end up in
access logs and browser histories; encrypted, the token shows nothing. Why bound to the user: a
link that leaks (a forwarded e-mail, a shared screen) is useless without that user's session —
the download route answers 404 to anyone else. A link can be used more than once until it
expires (a browser may retry a download); it grants nothing the user could not download anyway.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

LINK_LIFETIME = dt.timedelta(minutes=5)
MAX_TOKEN_LENGTH = 4000
_KEY_LABEL = b"collectief/download-links/v1"


class DownloadKind(enum.StrEnum):
    DOCUMENT = "document"
    INSURED_OVERVIEW = "insured-overview"
    PREMIUM_OVERVIEW = "premium-overview"  # D6: selection = {"month", "columns"}


@dataclasses.dataclass(frozen=True)
class DownloadTicket:
    """What a link grants: ``user_id`` may download ``kind`` of ``collectivity_id`` until
    ``expires_at``; ``document_id`` for documents, ``selection`` (filter and sort) for the
    overview."""

    kind: DownloadKind
    user_id: int
    collectivity_id: int
    expires_at: dt.datetime
    language: str = "nl"
    document_id: int | None = None
    selection: dict[str, Any] | None = None

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.expires_at


@dataclasses.dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: dt.datetime


class BadLink(Exception):
    """Not a link this server made (tampered, truncated, made with another secret)."""


def derive_key(secret: str) -> bytes:
    """The Fernet key for links, derived from the server secret."""
    digest = hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest)


@dataclasses.dataclass(frozen=True)
class DownloadLinks:
    """Makes and reads links. ``base_url`` is where clients reach this server (the public URL);
    empty, links are paths on the server that answered (``/downloads/…``)."""

    key: bytes = dataclasses.field(repr=False)
    base_url: str
    lifetime: dt.timedelta = LINK_LIFETIME

    def issue(self, ticket: DownloadTicket) -> DownloadLink:
        body = {
            "k": ticket.kind.value,
            "u": ticket.user_id,
            "c": ticket.collectivity_id,
            "x": int(ticket.expires_at.timestamp()),
            "l": ticket.language,
        }
        if ticket.document_id is not None:
            body["d"] = ticket.document_id
        if ticket.selection:
            body["s"] = ticket.selection
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        token = Fernet(self.key).encrypt(raw).decode().rstrip("=")
        return DownloadLink(
            url=f"{self.base_url.rstrip('/')}/downloads/{token}",
            expires_at=ticket.expires_at,
        )

    def expiry(self, now: dt.datetime) -> dt.datetime:
        """When a link made ``now`` stops working (whole seconds)."""
        return (now + self.lifetime).replace(microsecond=0)

    def read(self, token: str) -> DownloadTicket:
        """The ticket in ``token``; ``BadLink`` when it is not authentic. Expiry is the caller's
        check (``ticket.expired(now)``), so that an expired link of the right user can say so."""
        if not token or len(token) > MAX_TOKEN_LENGTH or not _canonical(token):
            raise BadLink()
        try:
            raw = Fernet(self.key).decrypt(token + "=" * (-len(token) % 4))
            body = json.loads(raw)
            ticket = DownloadTicket(
                kind=DownloadKind(body["k"]),
                user_id=int(body["u"]),
                collectivity_id=int(body["c"]),
                expires_at=dt.datetime.fromtimestamp(int(body["x"]), dt.UTC),
                language=str(body.get("l", "nl")),
                document_id=int(body["d"]) if "d" in body else None,
                selection=body.get("s"),
            )
        except (InvalidToken, ValueError, KeyError, TypeError):
            raise BadLink() from None
        if ticket.kind is DownloadKind.DOCUMENT and ticket.document_id is None:
            raise BadLink()
        return ticket


def _canonical(token: str) -> bool:
    """Exactly the unpadded url-safe base64 text this module writes: base64 decoders ignore
    stray characters, so without this one link would have several spellings."""
    if not token.isascii() or not token.replace("-", "").replace("_", "").isalnum():
        return False
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        return False
    return base64.urlsafe_b64encode(decoded).decode().rstrip("=") == token
