"""The key that encrypts TOTP secrets at rest (A6): from ``COLLECTIEF_TOTP_KEY``; in development,
generated once into the data directory so that a demo needs no setup. Production requires it:
every worker must share the key."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet

from .settings import Settings, SettingsError


def load_totp_key(settings: Settings) -> bytes:
    if settings.totp_key:
        key = settings.totp_key.encode()
        try:
            Fernet(key)
        except ValueError:
            raise SettingsError(
                "COLLECTIEF_TOTP_KEY must be a Fernet key: 32 url-safe base64-encoded bytes"
            ) from None
        return key
    if settings.is_production:
        raise SettingsError("COLLECTIEF_TOTP_KEY is required in production (see configuration)")
    return _development_key(settings.data_dir / "secrets" / "totp.key")


def _development_key(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # Created readable by the owner only; a concurrent first start keeps the first key written.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key
