"""`collectief exporters` and `collectief export` (E1–E3) as a user runs them: a real process, the
real registry, a .dat file or the test database; problems → non-zero and no output file."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from exporters.dat import dat_bytes, parse_dat
from exporters.raet import RaetExporter
from exporters.running import run_export
from exporters.testing import missing_employee_numbers_borderel, standard_borderel
from resolvers.borderel_model import borderel_model
from resolvers.clock import FixedClock
from resolvers.invoicing import BillingTerms
from resolvers.prolongation_runs import prolong
from storage import Borderel, Enrollment
from storage.enums import ProductKind, Relation

from . import factories
from .employers import Employers, make_employers

ROOT = Path(__file__).resolve().parent.parent
IDENTIFICATION = "identification=12345678"


def collectief(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "COLLECTIEF_DATA_DIR": str(tmp_path / "data"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def raet_bytes(borderel: object, **options: object) -> bytes:
    result = await run_export(RaetExporter(), borderel, options, timeout=30)  # type: ignore[arg-type]
    assert result.content is not None
    return result.content


def test_e1_exporters_lists_the_loaded_exporters_and_the_failed_plugins(tmp_path: Path) -> None:
    result = collectief("exporters", tmp_path=tmp_path, COLLECTIEF_EXPORTERS="not-installed")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\n  raet  Raet Payroll Business" in out
    assert "(.txt, text/plain; plugin exporters.raet)" in out
    assert "identification (string, required): Your Raet identification" in out
    assert "hash (boolean, default true)" in out
    assert 'contract_id (string, default "")' in out
    assert "Failed plugins:\n  not-installed: named in the allow-list but not installed" in out
    assert "Traceback" not in result.stderr


def test_e3_export_converts_a_dat_file_and_writes_nothing_on_problems(tmp_path: Path) -> None:
    good = tmp_path / "borderel.dat"
    good.write_bytes(dat_bytes(standard_borderel()))
    output = tmp_path / "raet.txt"
    result = collectief(
        "export",
        "--exporter",
        "raet",
        "--dat",
        str(good),
        "--option",
        IDENTIFICATION,
        "--option",
        "hash=false",
        "--output",
        str(output),
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Wrote {output}: ")
    expected = asyncio.run(
        raet_bytes(parse_dat(good.read_bytes()), identification="12345678", hash=False)
    )
    assert output.read_bytes() == expected
    assert expected.startswith(b"A12345678")

    # Problems: listed with the insured to fix, exit 1, no file (and an old one untouched).
    bad = tmp_path / "missing.dat"
    sample = missing_employee_numbers_borderel()
    # The .dat layout has no empty text: a blank employee number is stored as none.
    lines = tuple(
        dataclasses.replace(line, employee_number=line.employee_number or None)
        for line in sample.lines
    )
    bad.write_bytes(dat_bytes(dataclasses.replace(sample, lines=lines)))
    fresh, kept = tmp_path / "new.txt", tmp_path / "raet.txt"
    for target in (fresh, kept):
        refused = collectief(
            "export",
            "--exporter",
            "raet",
            "--dat",
            str(bad),
            "--option",
            IDENTIFICATION,
            "--output",
            str(target),
            tmp_path=tmp_path,
        )
        assert refused.returncode == 1
        assert "refused the borderel, nothing written" in refused.stderr
        problems = [
            line for line in refused.stderr.splitlines() if "MISSING_EMPLOYEE_NUMBER" in line
        ]
        assert len(problems) == 2
        assert all(", policy " in line for line in problems)
    assert not fresh.exists()
    assert kept.read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_e1_export_refuses_bad_input_with_exit_code_2(tmp_path: Path) -> None:
    dat = tmp_path / "borderel.dat"
    dat.write_bytes(dat_bytes(standard_borderel()))
    output = tmp_path / "out.txt"
    base = ["export", "--dat", str(dat), "--output", str(output)]
    for extra, words in (
        (["--exporter", "lotus123"], ["no exporter named 'lotus123'", "raet"]),
        (["--exporter", "raet"], ["'raet'", "'identification'", "required"]),
        (["--exporter", "raet", "--option", IDENTIFICATION, "--option", "hash=maybe"], ["hash"]),
        (["--exporter", "raet", "--option", "identification"], ["expected name=value"]),
    ):
        result = collectief(*base, *extra, tmp_path=tmp_path)
        assert result.returncode == 2, (extra, result.stderr)
        for word in words:
            assert word in result.stderr, (word, result.stderr)
        assert "Traceback" not in result.stderr
    not_dat = tmp_path / "not.dat"
    not_dat.write_text("hello\n")
    result = collectief(
        "export",
        "--exporter",
        "raet",
        "--dat",
        str(not_dat),
        "--output",
        str(output),
        tmp_path=tmp_path,
    )
    assert result.returncode == 2
    assert "is not a borderel .dat file" in result.stderr
    assert not output.exists()


async def december_borderels(
    session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> Employers:
    """x1's policyholder numbered 4711, x2's without a number; the December 2026 borderels."""
    cast = await make_employers(session_factory)
    async with session_factory() as db:
        basic = await factories.product(db, ProductKind.BASIC, {2026: "160.00"})
        for family in (cast.family_x1, cast.family_x2):
            await factories.cover(db, family, basic)
        await db.execute(
            update(Enrollment)
            .where(
                Enrollment.insured_id == cast.family_x1.members[0].id,
                Enrollment.relation == Relation.POLICYHOLDER,
            )
            .values(employee_number="4711")
        )
        await db.commit()
    outcomes = await prolong(
        session_factory,
        dt.date(2026, 12, 1),
        now=clock.now(),
        today=clock.today(),
        billing=BillingTerms(),
        collectivity_ids=[cast.x1.id, cast.x2.id],
    )
    assert all(o.made for o in outcomes)
    return cast


async def test_e3_export_converts_a_stored_borderel(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    cast = await december_borderels(session_factory, clock)
    url = engine.url.render_as_string(hide_password=False)

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            collectief, "export", *args, tmp_path=tmp_path, COLLECTIEF_DATABASE_URL=url
        )

    output = tmp_path / "x1.txt"
    source = ["--exporter", "raet", "--option", IDENTIFICATION, "--output", str(output)]
    result = await run(*source, "--collectivity", cast.x1.collectivity_number, "--month", "2026-12")
    assert result.returncode == 0, result.stderr
    async with session_factory() as db:
        borderel = await db.scalar(select(Borderel).where(Borderel.collectivity_id == cast.x1.id))
        model = await borderel_model(db, borderel)
    content = output.read_bytes()
    assert content == await raet_bytes(model, identification="12345678")
    assert b"4711" in content

    missing = tmp_path / "x2.txt"
    refused = await run(
        "--exporter",
        "raet",
        "--option",
        IDENTIFICATION,
        "--output",
        str(missing),
        "--collectivity",
        cast.x2.collectivity_number,
        "--month",
        "2026-12",
    )
    assert refused.returncode == 1
    assert "MISSING_EMPLOYEE_NUMBER [J. Xylofoon, policy " in refused.stderr
    assert cast.family_x2.policy.policy_number in refused.stderr
    assert not missing.exists()

    for where, words in (
        (["--collectivity", "999999", "--month", "2026-12"], "no collectivity numbered"),
        (["--collectivity", cast.x1.collectivity_number, "--month", "2026-11"], "no borderel"),
        (["--collectivity", cast.x1.collectivity_number, "--month", "december"], "YYYY-MM"),
        (["--collectivity", cast.x1.collectivity_number], "--month"),
    ):
        result = await run(*source, *where)
        assert result.returncode == 2, (where, result.stderr)
        assert words in result.stderr
