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
from graphql import build_schema, execute_sync, parse
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
WHERE e.collectivity_id = :collectivity_id
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
            collectivity_id = await connection.scalar(
                text("SELECT id FROM collectivities WHERE collectivity_number = '900001'")
            )
            parameters = {"collectivity_id": collectivity_id, "size": PAGE_SIZE}
            for _ in range(rounds + 5):
                started = time.perf_counter()
                rows = (await connection.execute(text(RAW_SQL), parameters)).all()
                json.dumps([list(r) for r in rows], default=str)
                samples.append(time.perf_counter() - started)
                assert len(rows) == PAGE_SIZE
    finally:
        await engine.dispose()
    return samples[5:]


async def time_graphql(database_url: str, rounds: int) -> dict[str, list[float]]:
    """The page, and for scale: the same page with 10 rows and an authenticated no-op."""
    samples: dict[str, list[float]] = {"page": [], "page_10": [], "noop": []}
    async with served(database_url) as (base_url, _process), aiohttp.ClientSession() as http:
        token = await login(http, base_url, BENCH_EMAIL, BENCH_PASSWORD)
        me = await graphql(http, base_url, "{ me { homeCollectivity { id } } }", token=token)
        collectivity_id = me["me"]["homeCollectivity"]["id"]
        documents = {
            "page": (PAGE_QUERY, {"id": collectivity_id, "first": PAGE_SIZE}),
            "page_10": (PAGE_QUERY, {"id": collectivity_id, "first": 10}),
            "noop": ("{ __typename }", {}),
        }
        for _ in range(rounds + 5):  # interleaved, so that drift affects all alike
            for name, (query, variables) in documents.items():
                started = time.perf_counter()
                data = await graphql(http, base_url, query, variables, token)
                samples[name].append(time.perf_counter() - started)
        assert len(data["__typename"]) > 0
    return {name: values[5:] for name, values in samples.items()}


def time_graphql_core_floor(rounds: int) -> list[float]:
    """graphql-core alone resolving the page's shape from plain objects: no HTTP, no database,
    no Strawberry. The floor under any Python GraphQL server for this response."""
    fields = [
        "id", "name", "initials", "firstName", "namePrefix", "lastName", "birthDate",
        "relation", "policyNumber", "employeeNumber", "startDate", "endDate", "status",
    ]  # fmt: skip
    sdl = (
        "type Query { page: Page! } type Page { edges: [Edge!]! } "
        "type Edge { cursor: String! node: Row! } type Row { "
        + " ".join(f"{f}: String" for f in fields)
        + " }"
    )
    schema = build_schema(sdl)
    document = parse("{ page { edges { cursor node { " + " ".join(fields) + " } } } }")
    row = dict.fromkeys(fields, "x" * 12)
    root = {"page": {"edges": [{"cursor": "c" * 24, "node": row} for _ in range(PAGE_SIZE)]}}
    samples = []
    for _ in range(rounds + 5):
        started = time.perf_counter()
        result = execute_sync(schema, document, root_value=root)
        json.dumps(result.data)
        samples.append(time.perf_counter() - started)
    return samples[5:]


async def run(database_url: str, rounds: int = 200) -> dict[str, float]:
    raw = await time_raw_sql(database_url, rounds)
    api = await time_graphql(database_url, rounds)
    floor = time_graphql_core_floor(rounds)
    result = {
        "graphql_core_floor_median_ms": median_ms(floor),
        "raw_sql_json_median_ms": median_ms(raw),
        "graphql_http_median_ms": median_ms(api["page"]),
        "graphql_http_10_rows_median_ms": median_ms(api["page_10"]),
        "http_auth_noop_median_ms": median_ms(api["noop"]),
    }
    result["ratio"] = result["graphql_http_median_ms"] / result["raw_sql_json_median_ms"]
    return result


def report(database_url: str, result: dict[str, float]) -> str:
    backend = database_url.split(":", 1)[0]
    return (
        f"insuredPersons first page ({PAGE_SIZE} rows of 50,000) on {backend}: "
        f"raw SQL + JSON {result['raw_sql_json_median_ms']:.2f} ms, "
        f"GraphQL over HTTP {result['graphql_http_median_ms']:.2f} ms (medians), "
        f"ratio {result['ratio']:.2f}x (target <= 3x); for scale: 10 rows "
        f"{result['graphql_http_10_rows_median_ms']:.2f} ms, authenticated "
        f"{{ __typename }} {result['http_auth_noop_median_ms']:.2f} ms, graphql-core alone "
        f"executing the same {PAGE_SIZE}-row shape in-process "
        f"{result['graphql_core_floor_median_ms']:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    print(report(args.database_url, asyncio.run(run(args.database_url, args.rounds))))


if __name__ == "__main__":
    main()
