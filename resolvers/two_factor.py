"""Two-factor authentication with TOTP (A6): Google and Microsoft Authenticator compatible
(SHA1, 6 digits, 30 s), a window of ±1 step, every code accepted once, secrets encrypted at rest.

A user has at most one confirmed device. Registering creates a pending device whose secret the
app scans from the ``otpauth://`` URI or its QR code; a valid code confirms it and replaces the
old device (a new phone). Registering while a device is confirmed needs the password and a current
code. Staff can remove a user's device when the phone is lost (audited, the user is told).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import io

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import TotpDevice, User

from .errors import DomainError, ErrorCode

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1


class TotpCipher:
    """Encrypts TOTP secrets with the deployment's Fernet key (``COLLECTIEF_TOTP_KEY``)."""

    def __init__(self, key: bytes | str) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise RuntimeError(
                "a TOTP secret cannot be decrypted: wrong COLLECTIEF_TOTP_KEY"
            ) from None


@dataclasses.dataclass(frozen=True)
class Registration:
    otpauth_uri: str
    qr_code_svg: str


def time_step(now: dt.datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step within ±WINDOW whose code equals ``code`` (constant-time compare)."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(now)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """``otpauth://totp/Issuer:account?secret=…&issuer=Issuer&algorithm=SHA1&digits=6&period=30``."""
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )
    if "algorithm=" not in uri:
        uri += "&algorithm=SHA1"
    if "digits=" not in uri:
        uri += f"&digits={DIGITS}"
    if "period=" not in uri:
        uri += f"&period={STEP_SECONDS}"
    return uri


def qr_code_svg(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, border=2)
    return buffer.getvalue().decode()


async def confirmed_device(db: AsyncSession, user_id: int) -> TotpDevice | None:
    return await db.scalar(
        select(TotpDevice).where(
            TotpDevice.user_id == user_id, TotpDevice.confirmed_at.is_not(None)
        )
    )


async def users_with_two_factor(db: AsyncSession, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` have a confirmed device (for overviews, in one query)."""
    rows = await db.scalars(
        select(TotpDevice.user_id).where(
            TotpDevice.user_id.in_(user_ids), TotpDevice.confirmed_at.is_not(None)
        )
    )
    return set(rows)


async def accept_code(
    db: AsyncSession, device: TotpDevice, code: str, cipher: TotpCipher, *, now: dt.datetime
) -> bool:
    """Accept ``code`` once: the step is stored with a conditional UPDATE, so a replayed code —
    also one raced by two requests at once — is refused (A6, NIST SP 800-63B-4)."""
    step = matching_step(cipher.decrypt(device.secret_encrypted), code, now)
    if step is None:
        return False
    accepted = await db.execute(
        update(TotpDevice)
        .where(
            TotpDevice.id == device.id,
            or_(TotpDevice.last_used_step.is_(None), TotpDevice.last_used_step < step),
        )
        .values(last_used_step=step)
    )
    return accepted.rowcount == 1


async def start_registration(
    db: AsyncSession,
    user: User,
    cipher: TotpCipher,
    *,
    issuer: str,
    now: dt.datetime,
    current_code: str | None,
) -> Registration:
    """Make a pending device with a new secret. With a confirmed device (a new phone) the caller
    must have checked the password; here the current code is checked (A6)."""
    existing = await confirmed_device(db, user.id)
    if existing is not None:
        if not current_code:
            raise DomainError(ErrorCode.TWO_FACTOR_CODE_REQUIRED, field="current_code")
        if not await accept_code(db, existing, current_code, cipher, now=now):
            raise DomainError(ErrorCode.INVALID_TWO_FACTOR_CODE, field="current_code")
    await db.execute(
        delete(TotpDevice).where(TotpDevice.user_id == user.id, TotpDevice.confirmed_at.is_(None))
    )
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    db.add(TotpDevice(user_id=user.id, secret_encrypted=cipher.encrypt(secret), created_at=now))
    await db.flush()
    uri = provisioning_uri(secret, user.email, issuer)
    return Registration(otpauth_uri=uri, qr_code_svg=qr_code_svg(uri))


async def confirm_registration(
    db: AsyncSession, user: User, code: str, cipher: TotpCipher, *, now: dt.datetime
) -> bool:
    """Confirm the pending device with a valid code; it replaces the old one. Returns whether the
    user had a device before (a new phone rather than a first registration)."""
    pending = await db.scalar(
        select(TotpDevice).where(TotpDevice.user_id == user.id, TotpDevice.confirmed_at.is_(None))
    )
    if pending is None:
        raise DomainError(ErrorCode.TWO_FACTOR_NOT_STARTED)
    if not await accept_code(db, pending, code, cipher, now=now):
        raise DomainError(ErrorCode.INVALID_TWO_FACTOR_CODE, field="code")
    replaced = await db.execute(
        delete(TotpDevice).where(
            TotpDevice.user_id == user.id, TotpDevice.confirmed_at.is_not(None)
        )
    )
    await db.execute(update(TotpDevice).where(TotpDevice.id == pending.id).values(confirmed_at=now))
    return replaced.rowcount > 0


async def remove_devices(db: AsyncSession, user_id: int) -> bool:
    """Staff reset for a lost phone: every device of the user goes. True when one was there."""
    removed = await db.execute(delete(TotpDevice).where(TotpDevice.user_id == user_id))
    return removed.rowcount > 0
