"""An example collectief exporter plugin: one semicolon-separated line per employee.

The whole plugin is this module: an exporter class and the two hooks. The entry point in
``pyproject.toml`` (group ``collectief.exporters``, name ``hello``) makes collectief find it.

Output (UTF-8, LF)::

    Hello;employee;name;deduction;employer_contribution
    Hello;1001;J. van Dijk;316.75;15.25
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, BinaryIO

from exporters.borderel import Borderel
from exporters.exporter import BaseExporter, Option, Problem
from exporters.hookspecs import hookimpl

MISSING_EMPLOYEE_NUMBER = "MISSING_EMPLOYEE_NUMBER"


class HelloExporter(BaseExporter):
    name = "hello"
    title = "Hello (example plugin)"
    extension = "csv"
    media_type = "text/csv"
    options = (
        Option.string(
            "greeting",
            "First field of every line.",
            default="Hello",
            min_length=1,
            max_length=20,
            pattern=r"[^;\r\n]*",
        ),
        Option.boolean("header", "Start with a header line.", default=True),
    )

    def problems(self, borderel: Borderel, options: Mapping[str, Any]) -> list[Problem]:
        # Report what stops the export; never raise. One problem per family to fix.
        found: dict[str, Problem] = {}
        for line in borderel.lines:
            if not line.employee_number and line.policyholder_policy_number not in found:
                found[line.policyholder_policy_number] = Problem(
                    code=MISSING_EMPLOYEE_NUMBER,
                    message=f"{line.insured.display_name} has no employee number",
                    insured=line.insured,
                    policy_number=line.policyholder_policy_number,
                )
        return list(found.values())

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        greeting = options["greeting"]
        totals: dict[str, list[Decimal]] = {}
        names: dict[str, str] = {}
        for line in borderel.lines:
            number = line.employee_number or ""
            amounts = totals.setdefault(number, [Decimal("0.00"), Decimal("0.00")])
            amounts[0] += line.deduction
            amounts[1] += line.employer_contribution
            if line.insured.policy_number == line.policyholder_policy_number:
                names[number] = line.insured.display_name
            else:
                names.setdefault(number, line.insured.display_name)
        rows = []
        if options["header"]:
            rows.append(f"{greeting};employee;name;deduction;employer_contribution")
        for number in sorted(totals):  # sorted: the same borderel always gives the same bytes
            deduction, contribution = totals[number]
            name = names[number].replace(";", ",")
            rows.append(f"{greeting};{number};{name};{deduction:.2f};{contribution:.2f}")
        stream.write("".join(row + "\n" for row in rows).encode("utf-8"))


@hookimpl
def collectief_exporter_api_version() -> str:
    return "1.0"


@hookimpl
def collectief_register_exporters() -> list[HelloExporter]:
    return [HelloExporter()]
