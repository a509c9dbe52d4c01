"""The server secret (``COLLECTIEF_SECRET_KEY``) that seals download links (C2, G5).

In development it is generated once into the data directory, so that a demo needs no setup;
production requires it: every worker must share it, or a link made by one is refused by another.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .settings import Settings, SettingsError

MIN_LENGTH = 32


def load_secret_key(settings: Settings) -> str:
    if settings.secret_key:
        if len(settings.secret_key) < MIN_LENGTH:
            raise SettingsError(
                f"COLLECTIEF_SECRET_KEY must be at least {MIN_LENGTH} characters of random text"
            )
        return settings.secret_key
    if settings.is_production:
        raise SettingsError("COLLECTIEF_SECRET_KEY is required in production (see configuration)")
    return _development_secret(settings.data_dir / "secrets" / "secret.key")


def _development_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # Created readable by the owner only; a concurrent first start keeps the first secret written.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret)
    return secret
