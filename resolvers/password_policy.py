"""What a new password must be (A3, NIST SP 800-63B-4 §3.1.1.2). Pure functions, no I/O but the
bundled list, which is read once on first use.

- Length: at least ``min_length`` (15 for single-factor use; a deployment that requires 2FA for
  everyone may lower it, never below 8: ``server/settings.py`` refuses anything else) and at most
  128. Length counts Unicode code points after NFKC normalisation, so "é" typed as one or as two
  code points counts the same; spaces and every printable character are allowed.
- No composition rules (no "a digit and a capital"), no periodic expiry.
- Refused when on the bundled list of common and breached passwords (``data/common-passwords.txt.gz``,
  see ``data/README.md``), compared case-insensitively, or when it contains the local part of the
  user's e-mail address (case-insensitively; local parts of 3 characters or more).

The password is hashed exactly as typed (``resolvers/passwords.py``), as login verifies it.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import unicodedata
from importlib import resources

from .errors import DomainError, ErrorCode

DEFAULT_MIN_LENGTH = 15
# The lowest minimum any deployment may configure, and only when 2FA is required (A3).
ABSOLUTE_MIN_LENGTH = 8
MAX_LENGTH = 128
# Beyond this many code points as typed the text is refused without normalising it.
_MAX_RAW_LENGTH = 1024
# Shorter local parts ("jo@…") would refuse too many good passwords.
_MIN_LOCAL_PART = 3

COMMON_PASSWORDS_FILE = "common-passwords.txt.gz"


@dataclasses.dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = DEFAULT_MIN_LENGTH

    def __post_init__(self) -> None:
        if not ABSOLUTE_MIN_LENGTH <= self.min_length <= MAX_LENGTH:
            raise ValueError(
                f"min_length must be between {ABSOLUTE_MIN_LENGTH} and {MAX_LENGTH}, "
                f"not {self.min_length}"
            )


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list (about 20,000 entries, lower case), loaded once."""
    data = resources.files(__package__).joinpath("data", COMMON_PASSWORDS_FILE).read_bytes()
    return frozenset(
        line.strip() for line in gzip.decompress(data).decode("utf-8").splitlines() if line.strip()
    )


def normalised(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def password_length(password: str) -> int:
    """Code points after NFKC normalisation: the length A3 speaks of."""
    return len(normalised(password))


def check_new_password(
    password: str,
    *,
    email: str | None,
    policy: PasswordPolicy,
    field: str = "password",
) -> None:
    """Raise ``DomainError`` with the first rule ``password`` breaks; return when it is fine.

    Codes: PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG (with ``minimum``/``maximum`` for the
    message), PASSWORD_TOO_COMMON, PASSWORD_CONTAINS_EMAIL.
    """
    if len(password) > _MAX_RAW_LENGTH:
        raise DomainError(ErrorCode.PASSWORD_TOO_LONG, field=field, maximum=MAX_LENGTH)
    text = normalised(password)
    if len(text) < policy.min_length:
        raise DomainError(ErrorCode.PASSWORD_TOO_SHORT, field=field, minimum=policy.min_length)
    if len(text) > MAX_LENGTH:
        raise DomainError(ErrorCode.PASSWORD_TOO_LONG, field=field, maximum=MAX_LENGTH)
    lowered = text.lower()
    if lowered.strip() in common_passwords():
        raise DomainError(ErrorCode.PASSWORD_TOO_COMMON, field=field)
    local_part = _local_part(email)
    if local_part and local_part in lowered:
        raise DomainError(ErrorCode.PASSWORD_CONTAINS_EMAIL, field=field)


def _local_part(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    local = normalised(email.rpartition("@")[0]).lower()
    return local if len(local) >= _MIN_LOCAL_PART else None
