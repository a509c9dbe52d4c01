"""Password hashing with argon2id (A3)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" defaults

# A real hash to verify against when the user does not exist, so that a wrong e-mail costs the
# same time as a wrong password (A4: both give the same answer).
_DUMMY_HASH = _hasher.hash("collectief-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password`` against ``password_hash``; spends the same effort when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones (A3)."""
    return _hasher.check_needs_rehash(password_hash)


async def check_password(password_hash: str | None, password: str) -> bool:
    """``verify_password`` off the event loop: argon2 is deliberately slow and memory-hard."""
    return await asyncio.to_thread(verify_password, password_hash, password)


async def make_password_hash(password: str) -> str:
    """``hash_password`` off the event loop."""
    return await asyncio.to_thread(hash_password, password)
