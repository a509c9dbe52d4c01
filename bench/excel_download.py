"""Benchmark (b): the Excel download of all 50,000 insured of collectivity 900001.

Through the API against a separate ``collectief serve`` process: ``downloadInsuredOverview`` for
the link, then ``GET`` the file, read to the last byte — versus writing the same rows (the same
Python values, already in memory) with bare openpyxl write-only mode into a file in this process.
Prints the medians, their ratio (target <= 1.5x) and the peak memory of the server process
(``VmHWM`` from ``/proc/<pid>/status``, reset after the login, whose argon2 hash alone takes
64 MiB; target < 200 MB: streamed, not held whole).

    python bench/excel_download.py --database-url URL [--rounds 3]

The database must hold the benchmark dataset (bench/generate.py).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from openpyxl import Workbook
from sqlalchemy import select

from bench.serving import graphql, login, served
from resolvers.clock import Clock
from resolvers.insured_overview import OverviewSelection, overview_batches, overview_statement
from storage import Collectivity, create_engine, create_session_factory

BENCH_EMAIL = "bench@bench.example"
BENCH_PASSWORD = "bench-wachtwoord-collectief"  # noqa: S105 - the published bench login
COLLECTIVITY_NUMBER = "900001"

LINK = """
mutation($input: DownloadInsuredOverviewInput!) {
  downloadInsuredOverview(input: $input) { download { url } userErrors { code } }
}
"""


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` (now) and ``VmHWM`` (peak since start) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> None:
    """Reset the process's VmHWM to its current RSS (Linux: ``5`` to ``clear_refs``)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


async def same_rows(database_url: str) -> list[tuple[Any, ...]]:
    """The overview's rows as the server writes them (values, not cells), for the baseline."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as db:
            collectivity_id = await db.scalar(
                select(Collectivity.id).where(
                    Collectivity.collectivity_number == COLLECTIVITY_NUMBER
                )
            )
            assert collectivity_id is not None, "no benchmark data"
            today = Clock().today()
            statement = overview_statement(collectivity_id, OverviewSelection(), today)
            rows: list[tuple[Any, ...]] = []
            async for batch in overview_batches(db, statement, today=today, language="nl"):
                rows += batch
    finally:
        await engine.dispose()
    return rows


def bare_openpyxl(rows: list[tuple[Any, ...]], directory: Path) -> float:
    """Seconds to write ``rows`` with openpyxl write-only mode and save the file."""
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Verzekerden")
    for row in rows:
        sheet.append(row)
    path = directory / "bare.xlsx"
    workbook.save(path)
    elapsed = time.perf_counter() - started
    path.unlink()
    return elapsed


async def download_once(
    http: aiohttp.ClientSession, base_url: str, token: str, id_: str
) -> tuple[float, int]:
    """Seconds from asking for the link to the file's last byte, and the file's size."""
    started = time.perf_counter()
    data = await graphql(http, base_url, LINK, {"input": {"collectivityId": id_}}, token)
    payload = data["downloadInsuredOverview"]
    assert payload["userErrors"] == [], payload
    size = 0
    url = urljoin(base_url + "/", payload["download"]["url"])
    async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 200, response.status
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
    return time.perf_counter() - started, size


async def run(database_url: str, rounds: int = 3) -> dict[str, float]:
    rows = await same_rows(database_url)
    server_times: list[float] = []
    bare_times: list[float] = []
    result: dict[str, float] = {"rows": len(rows)}
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        async with (
            served(database_url) as (base_url, process),
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as http,
        ):
            token = await login(http, base_url, BENCH_EMAIL, BENCH_PASSWORD)
            me = await graphql(http, base_url, "{ me { homeCollectivity { id } } }", token=token)
            collectivity = me["me"]["homeCollectivity"]["id"]
            before = memory_kib(process.pid)
            reset_peak(process.pid)  # from here on, VmHWM is the downloads' own peak
            for _ in range(rounds):  # interleaved, so that drift affects both alike
                seconds, size = await download_once(http, base_url, token, collectivity)
                server_times.append(seconds)
                bare_times.append(await asyncio.to_thread(bare_openpyxl, rows, directory))
            after = memory_kib(process.pid)
    result |= {
        "server_median_s": statistics.median(server_times),
        "bare_openpyxl_median_s": statistics.median(bare_times),
        "file_bytes": size,
        "server_rss_before_mib": before["VmRSS"] / 1024,
        "server_peak_before_mib": before["VmHWM"] / 1024,
        "server_peak_mib": after["VmHWM"] / 1024,
    }
    result["ratio"] = result["server_median_s"] / result["bare_openpyxl_median_s"]
    return result


def report(database_url: str, result: dict[str, float]) -> str:
    backend = database_url.split(":", 1)[0]
    return (
        f"Excel download of {int(result['rows']):,} insured on {backend}: "
        f"downloadInsuredOverview + GET {result['server_median_s']:.2f} s, bare openpyxl "
        f"write-only {result['bare_openpyxl_median_s']:.2f} s (medians), ratio "
        f"{result['ratio']:.2f}x (target <= 1.5x); file {result['file_bytes'] / 1e6:.1f} MB; "
        f"server process RSS {result['server_rss_before_mib']:.0f} MiB before the downloads "
        f"(peak of start-up and login so far {result['server_peak_before_mib']:.0f} MiB), peak "
        f"during the downloads (VmHWM, reset after login) {result['server_peak_mib']:.0f} MiB "
        "(target < 200 MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(report(args.database_url, asyncio.run(run(args.database_url, args.rounds))))


if __name__ == "__main__":
    main()
