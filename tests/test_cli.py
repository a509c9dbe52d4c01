"""The `collectief` command answers setup mistakes with a message and an exit code, no trace."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _collectief(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "COLLECTIEF_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_h2_unsupported_database_url_is_a_message(tmp_path: Path) -> None:
    result = _collectief(
        "migrate", env={"COLLECTIEF_DATABASE_URL": "mysql://x/y"}, tmp_path=tmp_path
    )
    assert result.returncode == 2
    assert "unsupported database driver" in result.stderr
    assert "Traceback" not in result.stderr


def test_h2_bad_setting_is_a_message(tmp_path: Path) -> None:
    result = _collectief("migrate", env={"COLLECTIEF_PORT": "acht"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "COLLECTIEF_PORT" in result.stderr


def test_h2_port_in_use_is_a_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _collectief("serve", "--port", str(port), env={}, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "address is in use" in result.stderr
    assert "Traceback" not in result.stderr
