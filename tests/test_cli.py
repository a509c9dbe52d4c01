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


def test_d3_prolongation_command_makes_a_month_once_and_refuses_bad_months(
    tmp_path: Path,
) -> None:
    """`collectief prolongation --month` (for cron) on the demo data, on the embedded SQLite."""
    from resolvers.clock import Clock
    from resolvers.months import add_months, format_month

    assert _collectief("demo", env={}, tmp_path=tmp_path).returncode == 0
    this_month = Clock().today().replace(day=1)
    again = _collectief(
        "prolongation", "--month", format_month(this_month), env={}, tmp_path=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert "0 borderels made" in again.stdout  # the demo made this month already
    coming = format_month(add_months(this_month, 1))
    made = _collectief(
        "prolongation", "--month", coming, "--collectivity", "200101", env={}, tmp_path=tmp_path
    )
    assert made.returncode == 0, made.stderr
    assert f"Prolongation {coming}: 1 borderels made, 0 already there, 0 failed." in made.stdout
    for args, code in (
        (["--month", format_month(add_months(this_month, 2))], "MONTH_OUT_OF_RANGE"),
        (["--month", "2026-13"], "INVALID_MONTH"),
        (["--month", coming, "--collectivity", "200201"], "BORDEREL_NEEDS_SALARY_DEDUCTION"),
        (["--month", coming, "--collectivity", "999999"], "NOT_FOUND"),
    ):
        refused = _collectief("prolongation", *args, env={}, tmp_path=tmp_path)
        assert refused.returncode == 2, args
        assert code in refused.stderr
        assert "Traceback" not in refused.stderr
