"""Run every benchmark on fresh scratch databases and print the figures (``./dev bench``).

    python bench/run.py [--backends sqlite,postgresql] [--rounds 200] [--excel-rounds 3]
                        [--prolongation-rounds 5] [--load-seconds 60] [--load-clients 20] [--keep]

For each backend: a new database (a SQLite file under bench/results/, or a PostgreSQL database
on COLLECTIEF_TEST_POSTGRES_URL's server), the large dataset from bench/generate.py, then each
benchmark. Scratch databases are removed afterwards unless --keep is given. The prolongation
benchmark runs last: it changes the data (a month of mutations, two borderels). Then the load test
(bench/load.py) runs on a scratch database of its own with the demo data (``--load-seconds 0``
skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from sqlalchemy.engine import make_url

from bench import excel_download, exporters, insured_page, insured_search, load, prolongation
from bench.generate import generate
from resolvers.clock import Clock
from storage import create_engine

RESULTS = Path(__file__).resolve().parent / "results"
POSTGRES_ADMIN_URL = os.environ.get(
    "COLLECTIEF_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


@contextlib.asynccontextmanager
async def scratch_database(backend: str, keep: bool) -> AsyncIterator[str]:
    name = f"collectief_bench_{secrets.token_hex(4)}"
    if backend == "sqlite":
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{name}.sqlite3"
        try:
            yield f"sqlite+aiosqlite:///{path}"
        finally:
            if not keep:
                for suffix in ("", "-wal", "-shm"):
                    await asyncio.to_thread(Path(f"{path}{suffix}").unlink, missing_ok=True)
        return
    admin_dsn = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    dsn = admin_dsn.render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            admin = await asyncpg.connect(dsn)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


async def bench_backend(
    backend: str, rounds: int, excel_rounds: int, keep: bool, prolongation_rounds: int = 5
) -> list[str]:
    lines = []
    async with scratch_database(backend, keep) as url:
        engine = create_engine(url)
        started = time.perf_counter()
        try:
            counts = await generate(engine, today=Clock().today())
        finally:
            await engine.dispose()
        lines.append(
            f"data generator on {backend}: {counts['insured_persons']:,} insured in "
            f"{time.perf_counter() - started:.1f} s"
        )
        lines.append(insured_page.report(url, await insured_page.run(url, rounds)))
        lines.append(insured_search.report(url, await insured_search.run(url, rounds)))
        lines.append(excel_download.report(url, await excel_download.run(url, excel_rounds)))
        lines.append(prolongation.report(url, await prolongation.run(url, prolongation_rounds)))
        if keep:
            lines.append(f"kept: {url}")
    return lines


async def load_backend(backend: str, seconds: float, clients: int) -> list[str]:
    """The load test (issue 7) on a scratch database of ``backend`` with the demo data."""
    async with scratch_database(backend, keep=False) as url:
        await asyncio.to_thread(load.load_demo, url)
        results, elapsed = await load.run(url, seconds, clients)
    return load.report(results, elapsed, clients, f"{backend} (demo data)")


async def main_async(
    backends: list[str],
    rounds: int,
    excel_rounds: int,
    keep: bool,
    prolongation_rounds: int = 5,
    exporter_rounds: int = 3,
    load_seconds: float = 60,
    load_clients: int = 20,
) -> None:
    if exporter_rounds:  # no database: the borderel model is built in memory
        result = await asyncio.to_thread(exporters.run, 50_000, exporter_rounds)
        print(exporters.report(result), flush=True)
    for backend in backends:
        for line in await bench_backend(backend, rounds, excel_rounds, keep, prolongation_rounds):
            print(line, flush=True)
        if load_seconds > 0:
            for line in await load_backend(backend, load_seconds, load_clients):
                print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument(
        "--excel-rounds", type=int, default=3, help="rounds of the Excel download benchmark"
    )
    parser.add_argument(
        "--prolongation-rounds", type=int, default=5, help="runs of each prolongation month"
    )
    parser.add_argument(
        "--exporter-rounds", type=int, default=3, help="rounds of the exporter benchmark (0: skip)"
    )
    parser.add_argument(
        "--load-seconds", type=float, default=60, help="length of the load test (0: skip)"
    )
    parser.add_argument("--load-clients", type=int, default=20, help="clients of the load test")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args()
    asyncio.run(
        main_async(
            args.backends.split(","),
            args.rounds,
            args.excel_rounds,
            args.keep,
            args.prolongation_rounds,
            args.exporter_rounds,
            args.load_seconds,
            args.load_clients,
        )
    )


if __name__ == "__main__":
    main()
