"""Each payroll exporter on a 50,000-member borderel (issue 6, benchmark 7).

    python bench/exporters.py [--members 50000] [--rounds 5]

No database: bench/generate.py makes no borderels (they come from a prolongation run), so the
borderel model is built in memory by ``build_borderel`` — families like the generator's (a
policyholder with an employee number, a partner in about half, 0–3 children), a basic line per
member, supplementary and dental lines for some, corrections for an earlier month for about 4 %
of the families. The baseline is the time to build that model (plain frozen dataclasses), in the
same rounds. Per exporter and round: ``problems`` then ``write`` to a ``BytesIO``, as
``run_export`` does (without its thread). Records per second = borderel lines per second.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exporters.borderel import Borderel, BorderelLine, LineKind, ProductKind, Relation
from exporters.exporter import validate_options
from exporters.registry import load_exporters
from exporters.testing import CREATED_AT, MONTH, line, person

FORMATS: dict[str, dict[str, object]] = {
    "raet": {"identification": "12345678"},
    "raet-ema": {"company": "BENCH1"},
    "nmbrs": {},
    "loket": {},
    "afas": {},
    "csv": {},
    "excel": {},
}
OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)


def build_borderel(members: int) -> Borderel:
    """A deterministic borderel of ``members`` insured (see the module docstring)."""
    lines: list[BorderelLine] = []
    insured = 0
    family = 0
    while insured < members:
        family += 1
        policy = f"{1_000_000_000 + family:010d}"
        number = str(100_000 + family)
        size = min(1 + (family % 2) + (family % 4), members - insured)
        for member in range(size):
            relation = (
                Relation.POLICYHOLDER
                if member == 0
                else Relation.PARTNER
                if member == 1 and family % 2
                else Relation.CHILD
            )
            who = person(
                policy if member == 0 else f"{2_000_000_000 + insured:010d}",
                f"Achternaam{family}",
                initials="A.",
                relation=relation,
                name_prefix="van" if family % 5 == 0 else None,
            )
            adult = relation is not Relation.CHILD
            cents = Decimal(family % 97) / 100
            lines.append(
                line(
                    who,
                    employee_number=number,
                    premium=Decimal("152.50") + cents if adult else "0.00",
                    employer_contribution="15.25" if member == 0 else "0.00",
                    policyholder_policy_number=policy,
                )
            )
            if adult and (family + member) % 5 < 2:
                lines.append(
                    line(
                        who,
                        employee_number=number,
                        premium="27.00",
                        discount="3.00",
                        product=ProductKind.SUPPLEMENTARY,
                        policyholder_policy_number=policy,
                    )
                )
            if adult and (family + member) % 10 == 0:
                lines.append(
                    line(
                        who,
                        employee_number=number,
                        premium="13.50",
                        discount="1.50",
                        product=ProductKind.DENTAL,
                        policyholder_policy_number=policy,
                    )
                )
            if member == 0 and family % 25 == 0:
                for period in (OCTOBER, NOVEMBER):
                    lines.append(
                        line(
                            who,
                            employee_number=number,
                            premium=-Decimal("76.25") - cents,
                            employer_contribution="-7.63",
                            period=period,
                            kind=LineKind.CORRECTION,
                            days=15,
                            policyholder_policy_number=policy,
                        )
                    )
            insured += 1
    return Borderel(
        customer_number="900000",
        customer_name="Benchmark Holding B.V.",
        collectivity_number="900001",
        collectivity_name="Benchmark 1",
        month=MONTH,
        created_at=CREATED_AT,
        lines=tuple(lines),
    )


@dataclasses.dataclass(frozen=True)
class Result:
    members: int
    lines: int
    rounds: int
    build: float  # median seconds to build the model
    times: dict[str, float]  # median seconds per format: problems + write
    sizes: dict[str, int]  # bytes written per format


def run(members: int, rounds: int) -> Result:
    registry = load_exporters(allow=set())
    build_times: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in FORMATS}
    sizes: dict[str, int] = {}
    borderel = build_borderel(members)  # warm-up
    for _ in range(rounds):
        started = time.perf_counter()
        borderel = build_borderel(members)
        build_times.append(time.perf_counter() - started)
        for name, raw in FORMATS.items():
            exporter = registry.get(name)
            options = validate_options(exporter, raw)
            started = time.perf_counter()
            problems = exporter.problems(borderel, options)
            assert problems == [], (name, problems[:3])
            stream = io.BytesIO()
            exporter.write(borderel, options, stream)
            times[name].append(time.perf_counter() - started)
            sizes[name] = len(stream.getvalue())
    return Result(
        members=members,
        lines=len(borderel.lines),
        rounds=rounds,
        build=statistics.median(build_times),
        times={name: statistics.median(values) for name, values in times.items()},
        sizes=sizes,
    )


def report(result: Result) -> str:
    lines_count, build = result.lines, result.build
    rows = [
        f"exporters: {result.members:,} members, {lines_count:,} borderel lines, medians of "
        f"{result.rounds} rounds; building the model in memory: {build:.2f} s",
        f"  {'format':<9} {'time':>8} {'records/s':>11} {'× build':>8} {'file':>9}",
    ]
    for name, seconds in result.times.items():
        rows.append(
            f"  {name:<9} {seconds:>7.3f}s {lines_count / seconds:>11,.0f} "
            f"{seconds / build:>7.2f}× {result.sizes[name] / 1e6:>7.1f}MB"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(report(run(args.members, args.rounds)), flush=True)


if __name__ == "__main__":
    main()
