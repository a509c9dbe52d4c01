"""Benchmark: the first page (50 rows) of ``insuredPersons`` of the 50,000-member collectivity.

Through GraphQL over HTTP against a separate ``collectief serve`` process, versus the same page
fetched with one raw SQL query and encoded as JSON in this process. Prints medians and the ratio
(target: GraphQL within 3x of raw SQL + JSON).

    python bench/insured_page.py --database-url URL [--rounds 200]

The database must hold the benchmark dataset (bench/generate.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from sqlalchemy import text

from bench.serving import graphql, login, served
from storage import create_engine

BENCH_EMAIL = "bench@bench.example"
BENCH_PASSWORD = "bench-wachtwoord-collectief"  # noqa: S105 - the published bench login
PAGE_SIZE = 50

PAGE_QUERY = """
query($id: ID!, $first: Int!) {
  collectivity(id: $id) {
    insuredPersons(first: $first) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id name initials firstName namePrefix lastName birthDate relation
                            policyNumber employeeNumber startDate endDate status } }
    }
  }
}
"""

RAW_SQL = """
SELECT p.id, e.id, p.initials, p.first_name, p.name_prefix, p.last_name, p.birth_date,
       p.relation, pol.policy_number, e.employee_number, e.start_date, e.end_date
FROM enrollments e
JOIN insured_persons p ON p.id = e.insured_id
JOIN policies pol ON pol.id = p.policy_id
JOIN collectivities c ON c.id = e.collectivity_id
WHERE c.collectivity_number = :number
  AND NOT EXISTS (SELECT 1 FROM enrollments l WHERE l.insured_id = e.insured_id
                  AND l.collectivity_id = e.collectivity_id AND l.start_date > e.start_date)
ORDER BY e.sort_name, e.id
LIMIT :size
"""


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def time_raw_sql(database_url: str, rounds: int) -> list[float]:
    engine = create_engine(database_url)
    samples = []
    try:
        async with engine.connect() as connection:
            for _ in range(rounds + 5):
                started = time.perf_counter()
                rows = (
                    await connection.execute(text(RAW_SQL), {"number": "900001", "size": PAGE_SIZE})
                ).all()
                json.dumps([list(r) for r in rows], default=str)
                samples.append(time.perf_counter() - started)
                assert len(rows) == PAGE_SIZE
    finally:
        await engine.dispose()
    return samples[5:]


async def time_graphql(database_url: str, rounds: int) -> list[float]:
    samples = []
    async with served(database_url) as (base_url, _process), aiohttp.ClientSession() as http:
        token = await login(http, base_url, BENCH_EMAIL, BENCH_PASSWORD)
        me = await graphql(http, base_url, "{ me { homeCollectivity { id } } }", token=token)
        variables = {"id": me["me"]["homeCollectivity"]["id"], "first": PAGE_SIZE}
        for _ in range(rounds + 5):
            started = time.perf_counter()
            data = await graphql(http, base_url, PAGE_QUERY, variables, token)
            samples.append(time.perf_counter() - started)
            assert len(data["collectivity"]["insuredPersons"]["edges"]) == PAGE_SIZE
    return samples[5:]


async def run(database_url: str, rounds: int = 200) -> dict[str, float]:
    raw = await time_raw_sql(database_url, rounds)
    api = await time_graphql(database_url, rounds)
    result = {
        "raw_sql_json_median_ms": median_ms(raw),
        "graphql_http_median_ms": median_ms(api),
    }
    result["ratio"] = result["graphql_http_median_ms"] / result["raw_sql_json_median_ms"]
    return result


def report(database_url: str, result: dict[str, float]) -> str:
    backend = database_url.split(":", 1)[0]
    return (
        f"insuredPersons first page ({PAGE_SIZE} rows of 50,000) on {backend}: "
        f"raw SQL + JSON {result['raw_sql_json_median_ms']:.2f} ms, "
        f"GraphQL over HTTP {result['graphql_http_median_ms']:.2f} ms (medians), "
        f"ratio {result['ratio']:.2f}x (target <= 3x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    print(report(args.database_url, asyncio.run(run(args.database_url, args.rounds))))


if __name__ == "__main__":
    main()
