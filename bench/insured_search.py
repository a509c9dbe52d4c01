"""Benchmark (a): a filtered and sorted search page of the 50,000-member collectivity (C1).

``insuredPersons`` of collectivity 900001 with a filter (active policyholders whose name contains
"van") sorted by start date, newest first: the first page (50 rows) and the page after it, through
GraphQL over HTTP against a separate ``collectief serve`` process, versus the same pages fetched
with one hand-written SQL query each and encoded as JSON in this process. Both must return the
same rows. Prints medians and the ratios (target: GraphQL within 3x of raw SQL + JSON).

For scale, in the same rounds: the resolver alone (``resolvers.insured_search.search_insured`` in
this process, a session per call as in the server: validation, SQL, rows and cursors, no GraphQL
or HTTP), and the unfiltered first page in name order over GraphQL (what search and sort add).

    python bench/insured_search.py --database-url URL [--rounds 200] [--today YYYY-MM-DD]

The database must hold the benchmark dataset (bench/generate.py); ``--today`` is the business date
of the server and of the raw query (default: today in Amsterdam).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from sqlalchemy import Date, bindparam, text
from strawberry.relay import from_base64

from bench.serving import graphql, login, served
from resolvers import insured_search
from resolvers.actor import Actor
from resolvers.clock import Clock
from resolvers.insured_listing import InsuredRow, MembershipStatus
from resolvers.pagination import Page
from storage import create_engine, create_session_factory
from storage.enums import Relation, UserRole

BENCH_EMAIL = "bench@bench.example"
BENCH_PASSWORD = "bench-wachtwoord-collectief"  # noqa: S105 - the published bench login
PAGE_SIZE = 50
NAME_CONTAINS = "van"

SEARCH_QUERY = """
query($id: ID!, $first: Int!, $after: String, $filter: InsuredPersonFilter,
      $orderBy: InsuredPersonOrder) {
  collectivity(id: $id) {
    insuredPersons(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id name initials firstName namePrefix lastName birthDate relation
                            policyNumber employeeNumber startDate endDate status } }
    }
  }
}
"""
SEARCH = {
    "filter": {
        "status": ["ACTIVE"],
        "relation": ["POLICYHOLDER"],
        "name": {"contains": NAME_CONTAINS},
    },
    "orderBy": {"field": "START_DATE", "direction": "DESC"},
}

_RAW_SELECT = """
SELECT p.id, e.id, p.initials, p.first_name, p.name_prefix, p.last_name, e.birth_date,
       e.relation, e.policy_number, e.employee_number, e.start_date, e.end_date, e.sort_name
FROM enrollments e
JOIN insured_persons p ON p.id = e.insured_id
WHERE e.collectivity_id = :collectivity_id
  AND NOT EXISTS (SELECT 1 FROM enrollments l WHERE l.insured_id = e.insured_id
                  AND l.collectivity_id = e.collectivity_id AND l.start_date > e.start_date)
  AND e.relation = 'POLICYHOLDER'
  AND e.start_date <= :today AND (e.end_date IS NULL OR e.end_date >= :today)
  AND e.sort_name LIKE :pattern
"""
RAW_FIRST_PAGE = text(
    _RAW_SELECT + "ORDER BY e.start_date DESC, e.sort_name DESC, e.id DESC LIMIT :size"
).bindparams(bindparam("today", type_=Date))
RAW_NEXT_PAGE = text(
    _RAW_SELECT
    + "AND (e.start_date, e.sort_name, e.id) < (:last_start, :last_name, :last_id) "
    + "ORDER BY e.start_date DESC, e.sort_name DESC, e.id DESC LIMIT :size"
).bindparams(bindparam("today", type_=Date), bindparam("last_start", type_=Date))


RESOLVER_FILTER = insured_search.InsuredFilter(
    status=[MembershipStatus.ACTIVE],
    relation=[Relation.POLICYHOLDER],
    name=insured_search.TextCondition(contains=NAME_CONTAINS),
)
RESOLVER_ORDER = insured_search.InsuredOrder(
    insured_search.InsuredSortField.START_DATE, insured_search.SortDirection.DESC
)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def time_raw_sql(
    database_url: str, rounds: int, today: dt.date
) -> tuple[dict[str, list[float]], dict[str, list[int]]]:
    """Both pages with one query each on a held connection, encoded as JSON."""
    engine = create_engine(database_url)
    samples: dict[str, list[float]] = {"first": [], "next": []}
    insured: dict[str, list[int]] = {}
    try:
        async with engine.connect() as connection:
            collectivity_id = await connection.scalar(
                text("SELECT id FROM collectivities WHERE collectivity_number = '900001'")
            )
            parameters: dict[str, Any] = {
                "collectivity_id": collectivity_id,
                "today": today,
                "pattern": f"%{NAME_CONTAINS}%",
                "size": PAGE_SIZE,
            }
            for _ in range(rounds + 5):
                started = time.perf_counter()
                first = (await connection.execute(RAW_FIRST_PAGE, parameters)).all()
                json.dumps([list(r) for r in first], default=str)
                samples["first"].append(time.perf_counter() - started)

                last = first[-1]
                following = parameters | {
                    "last_start": dt.date.fromisoformat(str(last[10])),
                    "last_name": last[12],
                    "last_id": last[1],
                }
                started = time.perf_counter()
                second = (await connection.execute(RAW_NEXT_PAGE, following)).all()
                json.dumps([list(r) for r in second], default=str)
                samples["next"].append(time.perf_counter() - started)
                assert len(first) == len(second) == PAGE_SIZE
            insured = {"first": [r[0] for r in first], "next": [r[0] for r in second]}
    finally:
        await engine.dispose()
    return {name: values[5:] for name, values in samples.items()}, insured


async def time_resolver(database_url: str, rounds: int, today: dt.date) -> dict[str, list[float]]:
    """The resolver alone, as the server calls it: a new session per page."""
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    samples: dict[str, list[float]] = {"first": [], "next": []}
    try:
        async with sessions() as db:
            collectivity_id = await db.scalar(
                text("SELECT id FROM collectivities WHERE collectivity_number = '900001'")
            )
        actor = Actor(
            user_id=0,
            role=UserRole.MAIN,
            home_collectivity_id=collectivity_id,
            scope=frozenset({collectivity_id}),
        )

        async def page(after: str | None) -> Page[InsuredRow]:
            async with sessions() as db:
                return await insured_search.search_insured(
                    db, actor, collectivity_id, first=PAGE_SIZE, after=after, today=today,
                    criteria=RESOLVER_FILTER, order=RESOLVER_ORDER,
                )  # fmt: skip

        for _ in range(rounds + 5):
            started = time.perf_counter()
            first = await page(None)
            samples["first"].append(time.perf_counter() - started)
            started = time.perf_counter()
            await page(first.end_cursor)
            samples["next"].append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    return {name: values[5:] for name, values in samples.items()}


async def time_graphql(
    database_url: str, rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[int]]]:
    """The first page and the page after it, interleaved so that drift affects both alike."""
    samples: dict[str, list[float]] = {"first": [], "next": [], "plain": []}
    async with served(database_url) as (base_url, _process), aiohttp.ClientSession() as http:
        token = await login(http, base_url, BENCH_EMAIL, BENCH_PASSWORD)
        me = await graphql(http, base_url, "{ me { homeCollectivity { id } } }", token=token)
        collectivity_id = me["me"]["homeCollectivity"]["id"]
        first_vars = {"id": collectivity_id, "first": PAGE_SIZE, **SEARCH}
        for _ in range(rounds + 5):
            started = time.perf_counter()
            first = await graphql(http, base_url, SEARCH_QUERY, first_vars, token)
            samples["first"].append(time.perf_counter() - started)

            connection = first["collectivity"]["insuredPersons"]
            next_vars = first_vars | {"after": connection["pageInfo"]["endCursor"]}
            started = time.perf_counter()
            second = await graphql(http, base_url, SEARCH_QUERY, next_vars, token)
            samples["next"].append(time.perf_counter() - started)

            started = time.perf_counter()  # the same page size, no filter, default order
            await graphql(
                http, base_url, SEARCH_QUERY, {"id": collectivity_id, "first": PAGE_SIZE}, token
            )
            samples["plain"].append(time.perf_counter() - started)
        insured = {
            name: [
                int(from_base64(e["node"]["id"])[1])
                for e in page["collectivity"]["insuredPersons"]["edges"]
            ]
            for name, page in (("first", first), ("next", second))
        }
    return {name: values[5:] for name, values in samples.items()}, insured


async def run(database_url: str, rounds: int = 200, today: dt.date | None = None) -> dict:
    """The server uses the real clock; the raw query the same business date unless given."""
    today = today or Clock().today()
    raw, raw_rows = await time_raw_sql(database_url, rounds, today)
    resolver = await time_resolver(database_url, rounds, today)
    api, api_rows = await time_graphql(database_url, rounds)
    assert api_rows == raw_rows, "GraphQL and raw SQL returned different rows"
    result: dict[str, float] = {
        "raw_first_median_ms": median_ms(raw["first"]),
        "raw_next_median_ms": median_ms(raw["next"]),
        "resolver_first_median_ms": median_ms(resolver["first"]),
        "resolver_next_median_ms": median_ms(resolver["next"]),
        "graphql_first_median_ms": median_ms(api["first"]),
        "graphql_next_median_ms": median_ms(api["next"]),
        "graphql_plain_median_ms": median_ms(api["plain"]),
    }
    result["ratio_first"] = result["graphql_first_median_ms"] / result["raw_first_median_ms"]
    result["ratio_next"] = result["graphql_next_median_ms"] / result["raw_next_median_ms"]
    return result


def report(database_url: str, result: dict[str, float]) -> str:
    backend = database_url.split(":", 1)[0]
    return (
        f"insuredPersons search page ({PAGE_SIZE} rows: active policyholders, name contains "
        f"'{NAME_CONTAINS}', by start date descending, of 50,000) on {backend}: first page raw SQL "
        f"+ JSON {result['raw_first_median_ms']:.2f} ms, GraphQL over HTTP "
        f"{result['graphql_first_median_ms']:.2f} ms, ratio {result['ratio_first']:.2f}x; "
        f"next page (after the cursor) raw {result['raw_next_median_ms']:.2f} ms, GraphQL "
        f"{result['graphql_next_median_ms']:.2f} ms, ratio {result['ratio_next']:.2f}x "
        f"(medians; target <= 3x); for scale: the resolver alone in-process "
        f"{result['resolver_first_median_ms']:.2f} ms / {result['resolver_next_median_ms']:.2f} ms "
        f"(first / next), the unfiltered name-ordered page over GraphQL in the same rounds "
        f"{result['graphql_plain_median_ms']:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    result = asyncio.run(run(args.database_url, args.rounds, args.today))
    print(report(args.database_url, result))


if __name__ == "__main__":
    main()
