"""Benchmark (issue 5, D3): the monthly prolongation run of the largest collectivity after a month
of mutations — lines per second, and how the time grows with the collectivity's size.

    python bench/prolongation.py --database-url URL [--rounds 5] [--month YYYY-MM]
    python bench/prolongation.py --scale [--sizes 10000,20000,50000] [--backends sqlite,postgresql]

On a database with the benchmark dataset (bench/generate.py) and collectivity 900001:

1. the borderel of month M−1 (the collectivity's first: regular lines only), timed ``--rounds``
   times, each on a fresh borderel (the made borderel and its lines are deleted in between; the
   last one stays);
2. "a month of mutations", registered after that borderel, each with its ``Mutation`` rows as the
   portal records them: 0.6 % of the members deregistered with an end date in M−1 (whole
   families), 0.4 % moved per a date in M−1 to another salary-deduction collectivity of the
   customer (C7: both collectivities get a MOVE mutation), and former members rejoining per a
   date in M−1 (as many as 0.5 % of the members, where there are enough leavers);
3. the borderel of M — regular lines plus the corrections for M−1 — timed ``--rounds`` times, each
   on a fresh borderel.

M defaults to the current month (the generator's history leads up to today). The run is
``resolvers.prolongation.run_prolongation`` for that one collectivity, without an invoice hook.
This changes the database: use a scratch copy (``bench/run.py`` does).

``--scale`` makes a scratch database per size and backend, fills it with the generator
(``--insured`` = size + 2,000 over 3 collectivities, ``--largest`` = size), runs the above and
prints the growth relative to the smallest size.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import Clock
from resolvers.premiums import month_bounds
from resolvers.prolongation import run_prolongation
from storage import (
    Borderel,
    BorderelLine,
    Collectivity,
    Contract,
    Enrollment,
    Mutation,
    create_engine,
    create_session_factory,
)
from storage.enums import BorderelLineKind, MutationKind, PremiumCollection

COLLECTIVITY_NUMBER = "900001"
DEREGISTER_SHARE, MOVE_SHARE, JOIN_SHARE = 0.006, 0.004, 0.005


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


async def _ids(db: AsyncSession, month: dt.date) -> tuple[int, int]:
    """Collectivity 900001 and the other salary-deduction collectivity members move to."""
    collectivity_id = await db.scalar(
        select(Collectivity.id).where(Collectivity.collectivity_number == COLLECTIVITY_NUMBER)
    )
    assert collectivity_id is not None, "no benchmark data (bench/generate.py)"
    customer_id = await db.scalar(
        select(Collectivity.customer_id).where(Collectivity.id == collectivity_id)
    )
    target = await db.scalar(
        select(Collectivity.id)
        .join(Contract, Contract.collectivity_id == Collectivity.id)
        .where(
            Collectivity.customer_id == customer_id,
            Collectivity.id != collectivity_id,
            Contract.year == month.year,
            Contract.premium_collection == PremiumCollection.SALARY_DEDUCTION,
        )
        .order_by(Collectivity.id)
        .limit(1)
    )
    assert target is not None, "no second salary-deduction collectivity to move to"
    return collectivity_id, target


async def _members(db: AsyncSession, collectivity_id: int, month: dt.date) -> int:
    first, last = month_bounds(month)
    return await db.scalar(
        select(func.count(func.distinct(Enrollment.insured_id))).where(
            Enrollment.collectivity_id == collectivity_id,
            Enrollment.start_date <= last,
            or_(Enrollment.end_date.is_(None), Enrollment.end_date >= first),
        )
    )


async def _drop_borderel(sessionmaker: async_sessionmaker[AsyncSession], borderel_id: int) -> None:
    async with sessionmaker() as db:
        await db.execute(delete(BorderelLine).where(BorderelLine.borderel_id == borderel_id))
        await db.execute(delete(Borderel).where(Borderel.id == borderel_id))
        await db.commit()


async def _timed_runs(
    sessionmaker: async_sessionmaker[AsyncSession],
    collectivity_id: int,
    month: dt.date,
    now: dt.datetime,
    rounds: int,
) -> tuple[list[float], list[float], dict[str, int]]:
    """``rounds`` runs of ``month``, each on a fresh borderel; the last borderel stays. Wall
    times, and this process's CPU times (SQLite works in this process; PostgreSQL does not)."""
    times: list[float] = []
    cpu: list[float] = []
    lines: dict[str, int] = {}
    for round_number in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        [outcome] = await run_prolongation(
            sessionmaker, month, now=now, collectivity_ids=[collectivity_id]
        )
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        if not outcome.made or outcome.borderel_id is None:
            raise RuntimeError(f"the run made no borderel: {outcome}")
        async with sessionmaker() as db:
            lines = {
                kind.value: count
                for kind, count in await db.execute(
                    select(BorderelLine.kind, func.count())
                    .where(BorderelLine.borderel_id == outcome.borderel_id)
                    .group_by(BorderelLine.kind)
                )
            }
        if round_number < rounds - 1:
            await _drop_borderel(sessionmaker, outcome.borderel_id)
    return times, cpu, lines


async def apply_month_of_mutations(
    db: AsyncSession,
    collectivity_id: int,
    target_id: int,
    month: dt.date,
    registered_at: dt.datetime,
    seed: int = 1,
) -> dict[str, int]:
    """Back-dated deregistrations, moves and rejoins with effective dates in ``month`` (M−1),
    whole families, with a ``Mutation`` per insured and collectivity. Returns insured counts."""
    rng = random.Random(seed)
    first, last = month_bounds(month)
    rows = (
        await db.execute(
            select(
                Enrollment.id,
                Enrollment.insured_id,
                Enrollment.policy_number,
                Enrollment.start_date,
                Enrollment.end_date,
            )
            .where(Enrollment.collectivity_id == collectivity_id)
            .order_by(Enrollment.id)
        )
    ).all()
    members = {
        r.insured_id
        for r in rows
        if r.start_date <= last and (r.end_date is None or r.end_date >= first)
    }
    # Families active since before M−1 and without an end date: candidates to leave or move.
    stable: dict[str, list[Any]] = {}
    latest: dict[int, Any] = {}
    for r in rows:
        if r.insured_id not in latest or r.start_date > latest[r.insured_id].start_date:
            latest[r.insured_id] = r
    for r in latest.values():
        if r.end_date is None and r.start_date < first:
            stable.setdefault(r.policy_number, []).append(r)
    leavers = [r for r in latest.values() if r.end_date is not None and r.end_date < first]
    families = sorted(stable)
    rng.shuffle(families)

    def take(share: float) -> list[Any]:
        chosen: list[Any] = []
        while families and len(chosen) < share * len(members):
            chosen += stable[families.pop()]
        return chosen

    deregistered, moved = take(DEREGISTER_SHARE), take(MOVE_SHARE)
    rng.shuffle(leavers)
    joined = leavers[: int(JOIN_SHARE * len(members))]

    def mutation(kind: MutationKind, insured_id: int, where: int, date: dt.date) -> dict:
        return {
            "kind": kind,
            "insured_id": insured_id,
            "collectivity_id": where,
            "effective_date": date,
            "registered_at": registered_at,
        }

    def day() -> dt.date:
        return first + dt.timedelta(days=rng.randint(1, (last - first).days))

    updates: list[dict[str, Any]] = []
    mutations: list[dict[str, Any]] = []
    new_enrollments: list[tuple[int, int, dt.date]] = []  # (copied enrollment, where, start)
    for r in deregistered:
        end = day()
        updates.append({"id": r.id, "end_date": end})
        mutations.append(mutation(MutationKind.DEREGISTER, r.insured_id, collectivity_id, end))
    for r in moved:
        start = day()
        updates.append({"id": r.id, "end_date": start - dt.timedelta(days=1)})
        new_enrollments.append((r.id, target_id, start))
        for where in (collectivity_id, target_id):
            mutations.append(mutation(MutationKind.MOVE, r.insured_id, where, start))
    for r in joined:
        start = day()
        new_enrollments.append((r.id, collectivity_id, start))
        mutations.append(mutation(MutationKind.ENROLL, r.insured_id, collectivity_id, start))
    if updates:
        await db.execute(update(Enrollment), updates)
    copies = []
    sources = (
        {
            e.id: e
            for e in await db.scalars(
                select(Enrollment).where(Enrollment.id.in_([s for s, _, _ in new_enrollments]))
            )
        }
        if new_enrollments
        else {}
    )
    for source_id, where, start in new_enrollments:
        source = sources[source_id]
        copies.append(
            {
                "insured_id": source.insured_id,
                "collectivity_id": where,
                "start_date": start,
                "end_date": None,
                "employee_number": source.employee_number,
                "sort_name": source.sort_name,
                "birth_date": source.birth_date,
                "relation": source.relation,
                "policy_number": source.policy_number,
            }
        )
    if copies:
        await db.execute(insert(Enrollment), copies)
    if mutations:
        await db.execute(insert(Mutation), mutations)
    await db.commit()
    return {
        "members": len(members),
        "deregistered": len(deregistered),
        "moved": len(moved),
        "joined": len(joined),
    }


async def run(database_url: str, rounds: int = 5, month: dt.date | None = None) -> dict[str, Any]:
    month = (month or Clock().today()).replace(day=1)
    before = previous_month(month)
    engine = create_engine(database_url)
    sessionmaker = create_session_factory(engine)
    try:
        async with sessionmaker() as db:
            collectivity_id, target_id = await _ids(db, month)
            members = await _members(db, collectivity_id, month)
        # The borderel of M−1 "made" an hour ago; the mutations after it; the run of M now.
        run_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        previous_times, previous_cpu, previous_lines = await _timed_runs(
            sessionmaker, collectivity_id, before, run_at - dt.timedelta(hours=1), rounds
        )
        async with sessionmaker() as db:
            changes = await apply_month_of_mutations(
                db, collectivity_id, target_id, before, run_at - dt.timedelta(minutes=30)
            )
        times, cpu, lines = await _timed_runs(sessionmaker, collectivity_id, month, run_at, rounds)
    finally:
        await engine.dispose()
    seconds = statistics.median(times)
    previous_seconds = statistics.median(previous_times)
    total = sum(lines.values())
    return {
        "month": month.isoformat()[:7],
        "members": members,
        "changes": changes,
        "previous_lines": sum(previous_lines.values()),
        "previous_median_s": previous_seconds,
        "previous_lines_per_s": sum(previous_lines.values()) / previous_seconds,
        "lines": total,
        "regular": lines.get(BorderelLineKind.REGULAR.value, 0),
        "corrections": lines.get(BorderelLineKind.CORRECTION.value, 0),
        "median_s": seconds,
        "runs_s": times,
        "cpu_median_s": statistics.median(cpu),
        "previous_cpu_median_s": statistics.median(previous_cpu),
        "lines_per_s": total / seconds,
    }


def report(database_url: str, result: dict[str, Any]) -> str:
    backend = database_url.split(":", 1)[0]
    changes = result["changes"]
    return (
        f"prolongation run of {result['month']} for {result['members']:,} members on {backend}: "
        f"{result['lines']:,} lines ({result['regular']:,} regular, {result['corrections']:,} "
        f"corrections after {changes['deregistered']} deregistered, {changes['moved']} moved, "
        f"{changes['joined']} rejoined) in {result['median_s']:.2f} s median "
        f"({', '.join(f'{t:.2f}' for t in result['runs_s'])}) = "
        f"{result['lines_per_s']:,.0f} lines/s (target >= 10,000), this process's CPU "
        f"{result['cpu_median_s']:.2f} s; the month before ({result['previous_lines']:,} regular "
        f"lines, no corrections): {result['previous_median_s']:.2f} s = "
        f"{result['previous_lines_per_s']:,.0f} lines/s, CPU {result['previous_cpu_median_s']:.2f} s"
    )


async def scale(
    backends: list[str], sizes: list[int], rounds: int, today: dt.date | None = None
) -> list[str]:
    from bench.generate import generate
    from bench.run import scratch_database

    today = today or Clock().today()
    output = []
    for backend in backends:
        results = []
        for size in sizes:
            async with scratch_database(backend, keep=False) as url:
                engine = create_engine(url)
                try:
                    await generate(
                        engine, insured=size + 2_000, collectivities=3, largest=size, today=today
                    )
                finally:
                    await engine.dispose()
                result = await run(url, rounds, today)
                results.append(result)
                output.append(report(url, result))
                print(output[-1], flush=True)
        smallest = results[0]
        for result in results[1:]:
            line = (
                f"growth on {backend} from {smallest['members']:,} to {result['members']:,} "
                f"members ({result['members'] / smallest['members']:.2f}x): lines "
                f"{result['lines'] / smallest['lines']:.2f}x, time "
                f"{result['median_s'] / smallest['median_s']:.2f}x, CPU "
                f"{result['cpu_median_s'] / smallest['cpu_median_s']:.2f}x (month before: "
                f"{result['previous_median_s'] / smallest['previous_median_s']:.2f}x)"
            )
            output.append(line)
            print(line, flush=True)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a database with the benchmark dataset")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--month",
        type=lambda text: dt.date.fromisoformat(f"{text}-01"),
        default=None,
        help="the prolongation month M, YYYY-MM (default: this month)",
    )
    parser.add_argument("--scale", action="store_true", help="scratch databases per size")
    parser.add_argument("--sizes", default="10000,20000,50000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    if args.scale:
        sizes = [int(s) for s in args.sizes.split(",")]
        asyncio.run(scale(args.backends.split(","), sizes, args.rounds, args.month))
    elif args.database_url:
        result = asyncio.run(run(args.database_url, args.rounds, args.month))
        print(report(args.database_url, result))
    else:
        parser.error("give --database-url or --scale")


if __name__ == "__main__":
    main()
