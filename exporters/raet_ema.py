"""Raet EMA day mutations: premium to deduct and employer contribution per employee (E4).

The layout is in ``docs/formats/raet-ema.md``. Public (REFERENCE.md): semicolon-separated; a first
record ``Company;DateCreated;FromDate;Replace`` (company code up to 6, dates yyyymmdd, Replace 1 =
replace, 2 = add, 3 = replace whole year), then records ``Employee;WageType;Date;Value`` (employee
code up to 8, value numeric 5.2).

Ours: two records per employee and booking date (deduction, then contribution); corrections summed
into the borderel's month unless ``corrections`` = ``period`` (which needs Replace 2 = add, since a
correction is a difference, not the month's whole value); zero values left out; records ordered by
employee code; DateCreated is the day the borderel was made (Amsterdam), FromDate the earliest
date written; decimal comma by default; CRLF.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, BinaryIO

from . import payroll
from .borderel import Borderel, LineKind
from .exporter import BaseExporter, Option, Problem
from .hookspecs import hookimpl

CORRECTIONS_NEED_ADD = "CORRECTIONS_NEED_ADD"
_CODE = r"[^;\x00-\x1f\x7f-\x9f]"


class RaetEmaExporter(BaseExporter):
    name = "raet-ema"
    title = "Raet EMA: premium and employer contribution (day mutations)"
    extension = "csv"
    media_type = "text/csv"
    options = (
        Option.string(
            "company",
            "Company code (up to 6 characters), the first field of the first record.",
            required=True,
            pattern=f"{_CODE}{{1,6}}",
        ),
        Option.string(
            "deduction_wage_type",
            "Wage type of the premium to deduct from salary.",
            default=payroll.DEDUCTION_CODE,
            pattern=f"{_CODE}{{1,20}}",
        ),
        Option.string(
            "contribution_wage_type",
            "Wage type of the employer contribution.",
            default=payroll.CONTRIBUTION_CODE,
            pattern=f"{_CODE}{{1,20}}",
        ),
        Option.choice(
            "replace",
            "Replace indicator of the first record: 1 = replace the values, 2 = add to them.",
            choices=("1", "2"),
            default="1",
        ),
        payroll.corrections_option("borderel_month"),
        payroll.decimal_separator_option(","),
        Option.integer(
            "value_digits",
            "Digits before the decimal point a value may have ('numeric 5.2': 5; 3 if your "
            "EMA counts the decimals in the 5).",
            default=5,
            minimum=1,
            maximum=9,
        ),
        Option.choice(
            "encoding",
            "Character encoding of the file.",
            choices=("ascii", "cp1252", "latin-1", "utf-8"),
            default="cp1252",
        ),
        payroll.zero_amounts_option(),
    )

    def problems(self, borderel: Borderel, options: Mapping[str, Any]) -> list[Problem]:
        encoding = options["encoding"]
        found = payroll.option_problems(
            options, ("company", "deduction_wage_type", "contribution_wage_type"), encoding
        )
        in_period = options["corrections"] == "period"
        if (
            in_period
            and options["replace"] == "1"
            and any(
                line.kind is LineKind.CORRECTION and line.period != borderel.month
                for line in borderel.lines
            )
        ):
            found.append(
                Problem(
                    code=CORRECTIONS_NEED_ADD,
                    message="Corrections booked in the month they correct are differences: "
                    "they need replace 2 (add), or corrections in the borderel month",
                )
            )
        found += payroll.employee_number_problems(
            borderel, payroll.text_check(encoding, max_length=8, forbidden=";")
        )
        if not found:
            digits = options["value_digits"]
            limit = Decimal(10**digits) - payroll.CENT
            found += payroll.range_problems(
                payroll.employee_amounts(borderel, corrections_in_period=in_period),
                limit,
                f"EMA's value field ({digits} digits, 2 decimals)",
            )
        return found

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        rows = payroll.employee_amounts(
            borderel, corrections_in_period=options["corrections"] == "period"
        )
        separator = options["decimal_separator"]
        zero_amounts = options["zero_amounts"]
        codes = (options["deduction_wage_type"], options["contribution_wage_type"])
        records: list[str] = []
        earliest = borderel.month
        for row in rows:
            date = f"{row.start:%Y%m%d}"
            for code, amount in zip(codes, (row.deduction, row.contribution), strict=True):
                if not amount and not zero_amounts:
                    continue
                earliest = min(earliest, row.start)
                records.append(f"{row.number};{code};{date};{payroll.money(amount, separator)}\r\n")
        created = payroll.amsterdam_date(borderel.created_at)
        first = f"{options['company']};{created:%Y%m%d};{earliest:%Y%m%d};{options['replace']}\r\n"
        stream.write(first.encode(options["encoding"]))
        stream.write("".join(records).encode(options["encoding"]))


@hookimpl
def collectief_register_exporters() -> list[RaetEmaExporter]:
    return [RaetEmaExporter()]
