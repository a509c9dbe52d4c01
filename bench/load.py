"""Load test (issue 7, part 6): concurrent portal users against a real ``collectief serve``.

    python bench/load.py [--database-url URL] [--seconds 60] [--clients 20] [--seed 1]

``collectief serve`` runs as its own process on loopback; this process is the client: ``--clients``
simulated users (asyncio tasks, each with its own HTTP connection pool) who keep doing one
operation after another, without pauses, for ``--seconds``. Each user is one of the demo's
employer users (``marieke.jansen`` and ``sanne.visser`` of 200101, which has 200102 linked); the
operations, chosen at random with these weights (each user logs in once before the timed window
starts; ``login`` below is a login again during it):

==================  ======  ================================================================
operation           weight  what
==================  ======  ================================================================
login               2       ``login`` (bearer), the new token used from then on (argon2id)
search              33      ``insuredPersons`` first page (20) searched by a name part
page                10      ``insuredPersons`` of a random collectivity in scope, ordered by
                            a random column, first page of 50
details             25      ``insuredPersonDetails`` of a random insured (C4, full history)
borderel            10      the newest borderel with its first 50 lines (D3)
premium_overview    10      ``premiumOverview`` of this month, first 50 rows (D6)
download            10      ``downloadInsuredOverview`` and ``GET`` the Excel file (C2)
==================  ======  ================================================================

Every answer is checked: an HTTP status other than 200, a GraphQL ``errors`` entry, a
``userErrors`` entry or a download that is not an Excel file counts as an error (the first few are
printed). Prints throughput and p50/p99 latency per operation and overall, and exits 1 when any
error occurred.

Without ``--database-url`` a scratch SQLite database with the demo data is made under
bench/results/ and removed afterwards (``collectief migrate`` and ``collectief demo``); with
``--backend postgresql`` a scratch database on the server of ``COLLECTIEF_TEST_POSTGRES_URL``.
A given ``--database-url`` must hold the demo data already.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench.serving import ROOT, served

PASSWORD = "demo-wachtwoord-collectief"  # noqa: S105 - the published demo password
USERS = ("marieke.jansen@vandijkbouw.nl", "sanne.visser@vandijkbouw.nl")
WEIGHTS = {
    "login": 2,
    "search": 33,
    "page": 10,
    "details": 25,
    "borderel": 10,
    "premium_overview": 10,
    "download": 10,
}
SEARCH_TERMS = ("de", "van", "jan", "an", "en", "ma", "ber", "ink", "ver", "s")
ORDER_FIELDS = ("NAME", "BIRTH_DATE", "START_DATE", "RELATION", "POLICY_NUMBER", "STATUS")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

LOGIN = """mutation($i: LoginInput!) { login(input: $i) { token userErrors { code } } }"""
SCOPE = """{ me { collectivities { id collectivityNumber } } }"""
ROW = "id name relation birthDate policyNumber employeeNumber startDate endDate status"
SEARCH = f"""
query($c: ID!, $v: String!) {{
  collectivity(id: $c) {{
    insuredPersons(first: 20, search: {{by: NAME, value: $v}}) {{
      totalCount edges {{ node {{ {ROW} }} }}
    }}
  }}
}}"""
PAGE = f"""
query($c: ID!, $o: InsuredPersonOrder) {{
  collectivity(id: $c) {{
    insuredPersons(first: 50, orderBy: $o) {{
      totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {ROW} }} }}
    }}
  }}
}}"""
IDS = """
query($c: ID!, $a: String) {
  collectivity(id: $c) {
    insuredPersons(first: 100, after: $a) {
      pageInfo { hasNextPage endCursor } edges { node { id } }
    }
  }
}"""
DETAILS = """
query($c: ID!, $id: ID!) {
  collectivity(id: $c) {
    insuredPersonDetails(id: $id) {
      id version name initials birthDate gender relation bsn policyNumber
      membership { startDate endDate status employeeNumber }
      coverages { productCode productName startDate endDate }
      family { insuredPersonId name relation }
      mutations { kind effectiveDate registeredAt changes { field before after } }
    }
  }
}"""
BORDEREL = """
query($c: ID!) {
  collectivity(id: $c) {
    borderels(first: 1) {
      edges { node { month totals { premium } lines(first: 50) {
        totalCount edges { node { kind period lastName productCode days premium deduction } }
      } } }
    }
  }
}"""
PREMIUMS = """
query($c: ID!, $m: String!) {
  collectivity(id: $c) {
    premiumOverview(month: $m, first: 50) {
      totalCount edges { node { insuredPersonId lastName days totalPremium employerContribution } }
    }
  }
}"""
DOWNLOAD = """
mutation($i: DownloadInsuredOverviewInput!) {
  downloadInsuredOverview(input: $i) { download { url } userErrors { code } }
}"""


class Refused(Exception):
    """An answer that counts as an error."""


@dataclasses.dataclass
class Results:
    latencies: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    errors: dict[str, int] = dataclasses.field(default_factory=dict)
    samples: list[str] = dataclasses.field(default_factory=list)

    def ok(self, operation: str, seconds: float) -> None:
        self.latencies.setdefault(operation, []).append(seconds)

    def failed(self, operation: str, why: str) -> None:
        self.errors[operation] = self.errors.get(operation, 0) + 1
        if len(self.samples) < 5:
            self.samples.append(f"{operation}: {why[:300]}")


@dataclasses.dataclass
class Portal:
    """What the users know before the run: the collectivities in scope and insured ids."""

    collectivities: list[str]  # with salary deduction (details, borderels): 200101, 200102
    insured: dict[str, list[str]]
    month: str


async def post(
    http: aiohttp.ClientSession, base: str, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(
        f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers
    ) as response:
        if response.status != 200:
            raise Refused(f"HTTP {response.status}: {(await response.text())[:200]}")
        body = await response.json()
    if body.get("errors"):
        raise Refused(f"GraphQL errors: {body['errors']}")
    return body["data"]


async def login(http: aiohttp.ClientSession, base: str, email: str) -> str:
    data = await post(
        http, base, LOGIN, {"i": {"email": email, "password": PASSWORD, "bearer": True}}, None
    )
    if data["login"]["userErrors"]:
        raise Refused(f"login: {data['login']['userErrors']}")
    return data["login"]["token"]


async def discover(base: str, month: str) -> Portal:
    async with aiohttp.ClientSession() as http:
        token = await login(http, base, USERS[0])
        scope = (await post(http, base, SCOPE, {}, token))["me"]["collectivities"]
        ids = [c["id"] for c in scope if c["collectivityNumber"] in ("200101", "200102")]
        insured = {}
        for collectivity in ids:
            found: list[str] = []
            after = None
            while True:
                data = await post(http, base, IDS, {"c": collectivity, "a": after}, token)
                page = data["collectivity"]["insuredPersons"]
                found += [e["node"]["id"] for e in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            insured[collectivity] = found
    return Portal(collectivities=ids, insured=insured, month=month)


class User:
    """One simulated portal user: logs in, then does operation after operation."""

    def __init__(
        self, number: int, base: str, portal: Portal, results: Results, rng: random.Random
    ) -> None:
        self.email = USERS[number % len(USERS)]
        self.base = base
        self.portal = portal
        self.results = results
        self.rng = rng
        self.token: str | None = None
        self.http: aiohttp.ClientSession | None = None
        self.operations: dict[str, Callable[[], Awaitable[None]]] = {
            "login": self.login,
            "search": self.search,
            "page": self.page,
            "details": self.details,
            "borderel": self.borderel,
            "premium_overview": self.premium_overview,
            "download": self.download,
        }

    async def query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        assert self.http is not None
        return await post(self.http, self.base, query, variables, self.token)

    def collectivity(self) -> str:
        return self.rng.choice(self.portal.collectivities)

    async def login(self) -> None:
        assert self.http is not None
        self.token = await login(self.http, self.base, self.email)

    async def search(self) -> None:
        term = self.rng.choice(SEARCH_TERMS)
        await self.query(SEARCH, {"c": self.collectivity(), "v": term})

    async def page(self) -> None:
        order = {
            "field": self.rng.choice(ORDER_FIELDS),
            "direction": self.rng.choice(["ASC", "DESC"]),
        }
        await self.query(PAGE, {"c": self.collectivity(), "o": order})

    async def details(self) -> None:
        collectivity = self.collectivity()
        insured = self.rng.choice(self.portal.insured[collectivity])
        data = await self.query(DETAILS, {"c": collectivity, "id": insured})
        if data["collectivity"]["insuredPersonDetails"] is None:
            raise Refused("details: null")

    async def borderel(self) -> None:
        data = await self.query(BORDEREL, {"c": self.collectivity()})
        if not data["collectivity"]["borderels"]["edges"]:
            raise Refused("borderel: none")

    async def premium_overview(self) -> None:
        await self.query(PREMIUMS, {"c": self.collectivity(), "m": self.portal.month})

    async def download(self) -> None:
        assert self.http is not None
        data = await self.query(DOWNLOAD, {"i": {"collectivityId": self.collectivity()}})
        payload = data["downloadInsuredOverview"]
        if payload["userErrors"]:
            raise Refused(f"download: {payload['userErrors']}")
        url = urljoin(self.base + "/", payload["download"]["url"])
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.get(url, headers=headers) as response:
            content = await response.read()
            if response.status != 200 or response.content_type != XLSX:
                raise Refused(f"download: HTTP {response.status} {response.content_type}")
        if not content.startswith(b"PK"):
            raise Refused("download: not an xlsx file")

    async def start(self) -> None:
        """Open the user's connection pool and log in (before the timed window)."""
        self.http = aiohttp.ClientSession()
        await self.login()

    async def run(self, until: float) -> None:
        names = list(WEIGHTS)
        weights = [WEIGHTS[n] for n in names]
        while time.perf_counter() < until:
            operation = self.rng.choices(names, weights)[0]
            started = time.perf_counter()
            try:
                await self.operations[operation]()
            except Exception as error:  # counted and reported
                self.results.failed(operation, repr(error))
                continue
            self.results.ok(operation, time.perf_counter() - started)

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def report(results: Results, seconds: float, clients: int, label: str) -> list[str]:
    lines = [
        f"load test on {label}: {clients} clients, {seconds:.0f} s",
        f"{'operation':<18}{'count':>8}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}",
    ]
    everything: list[float] = []
    for name in WEIGHTS:
        values = results.latencies.get(name, [])
        everything += values
        errors = results.errors.get(name, 0)
        if not values:
            lines.append(f"{name:<18}{0:>8}{errors:>8}")
            continue
        lines.append(
            f"{name:<18}{len(values):>8}{errors:>8}{len(values) / seconds:>9.1f}"
            f"{percentile(values, 0.5) * 1000:>9.1f}{percentile(values, 0.99) * 1000:>9.1f}"
        )
    total_errors = sum(results.errors.values())
    lines.append(
        f"{'all':<18}{len(everything):>8}{total_errors:>8}{len(everything) / seconds:>9.1f}"
        f"{percentile(everything, 0.5) * 1000:>9.1f}{percentile(everything, 0.99) * 1000:>9.1f}"
        if everything
        else f"{'all':<18}{0:>8}{total_errors:>8}"
    )
    lines += [f"  error: {sample}" for sample in results.samples]
    return lines


def this_month() -> str:
    from resolvers.clock import Clock

    today = Clock().today()
    return f"{today.year:04d}-{today.month:02d}"


def load_demo(database_url: str) -> None:
    """``collectief migrate`` and ``collectief demo`` on the database, as an operator would."""
    environment = os.environ | {
        "COLLECTIEF_DATABASE_URL": database_url,
        "COLLECTIEF_LOG_LEVEL": "WARNING",
    }
    for command in ("migrate", "demo"):
        subprocess.run(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "server.cli", command],
            cwd=ROOT,
            env=environment,
            check=True,
            stdout=subprocess.DEVNULL,
        )


async def run(
    database_url: str, seconds: float, clients: int, seed: int = 1
) -> tuple[Results, float]:
    """The load test against ``collectief serve`` on ``database_url`` (demo data loaded)."""
    results = Results()
    async with served(database_url) as (base, _process):
        portal = await discover(base, this_month())
        rng = random.Random(seed)
        users = [
            User(n, base, portal, results, random.Random(rng.random())) for n in range(clients)
        ]
        try:
            await asyncio.gather(*(user.start() for user in users))  # logged in, not timed
            started = time.perf_counter()
            await asyncio.gather(*(user.run(started + seconds) for user in users))
            elapsed = time.perf_counter() - started
        finally:
            await asyncio.gather(*(user.close() for user in users))
    return results, elapsed


async def main_async(args: argparse.Namespace) -> int:
    if args.database_url:
        results, elapsed = await run(args.database_url, args.seconds, args.clients, args.seed)
        label = args.database_url.split(":", 1)[0]
    else:
        from bench.run import scratch_database

        async with scratch_database(args.backend, keep=False) as url:
            await asyncio.to_thread(load_demo, url)
            results, elapsed = await run(url, args.seconds, args.clients, args.seed)
        label = f"{args.backend} (demo data)"
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    for line in [*report(results, elapsed, args.clients, label), f"load average after: {load}"]:
        print(line, flush=True)
    return 1 if results.errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a database with the demo data (default: scratch)")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
