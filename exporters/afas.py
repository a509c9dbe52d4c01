"""AFAS Profit wage mutations: premium to deduct and employer contribution per employee (E4).

The layout is in ``docs/formats/afas.md``. Public (REFERENCE.md): AFAS Profit imports a CSV with a
header row, mapped to its fields by an import definition the customer sets up; there is no public
column list. **The columns are therefore ours**, chosen so that an import definition maps each to
one Profit field: Werkgever, Medewerker, Naam, Dienstverband, Looncomponent, Jaar, Periode, Bedrag,
Omschrijving.

Ours as well: one row per employee, booking month and component (deduction first); corrections
summed into the borderel's month unless ``corrections`` = ``period``; zero values left out;
semicolons and a decimal comma by default; CRLF.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO

from . import payroll
from .borderel import Borderel
from .exporter import BaseExporter, Option, Problem
from .hookspecs import hookimpl

HEADERS = (
    "Werkgever",
    "Medewerker",
    "Naam",
    "Dienstverband",
    "Looncomponent",
    "Jaar",
    "Periode",
    "Bedrag",
    "Omschrijving",
)
DEDUCTION_TEXT = payroll.DEDUCTION_TITLE
CONTRIBUTION_TEXT = payroll.CONTRIBUTION_TITLE
_TEXT = r"[^;,\"\x00-\x1f\x7f-\x9f]"


class AfasExporter(BaseExporter):
    name = "afas"
    title = "AFAS Profit: premium and employer contribution (wage mutations, CSV)"
    extension = "csv"
    media_type = "text/csv"
    options = (
        Option.string(
            "employer",
            "Employer (werkgever) code in Profit; may stay empty.",
            default="",
            pattern=f"{_TEXT}{{0,15}}",
        ),
        Option.string(
            "employment",
            "Employment (dienstverband) number.",
            default="1",
            pattern=f"{_TEXT}{{0,10}}",
        ),
        Option.string(
            "deduction_component",
            "Wage component (looncomponent) of the premium to deduct from salary.",
            default=payroll.DEDUCTION_CODE,
            pattern=f"{_TEXT}{{1,20}}",
        ),
        Option.string(
            "contribution_component",
            "Wage component (looncomponent) of the employer contribution.",
            default=payroll.CONTRIBUTION_CODE,
            pattern=f"{_TEXT}{{1,20}}",
        ),
        payroll.corrections_option("borderel_month"),
        Option.choice("delimiter", "Field separator.", choices=(";", ","), default=";"),
        payroll.decimal_separator_option(","),
        payroll.csv_encoding_option("utf-8"),
        payroll.zero_amounts_option(),
    )

    def problems(self, borderel: Borderel, options: Mapping[str, Any]) -> list[Problem]:
        return payroll.text_problems(
            borderel,
            options,
            ("employer", "employment", "deduction_component", "contribution_component"),
            forbidden=options["delimiter"] + '"',
        )

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        separator = options["decimal_separator"]
        zero_amounts = options["zero_amounts"]
        employer, employment = options["employer"], options["employment"]
        components = (
            (options["deduction_component"], DEDUCTION_TEXT),
            (options["contribution_component"], CONTRIBUTION_TEXT),
        )
        rows: list[tuple[str, ...]] = [HEADERS]
        for row in payroll.employee_amounts(
            borderel, corrections_in_period=options["corrections"] == "period"
        ):
            year, month = str(row.start.year), str(row.start.month)
            name = row.insured.display_name
            for (code, text), amount in zip(
                components, (row.deduction, row.contribution), strict=True
            ):
                if not amount and not zero_amounts:
                    continue
                rows.append(
                    (
                        employer,
                        row.number,
                        name,
                        employment,
                        code,
                        year,
                        month,
                        payroll.money(amount, separator),
                        f"{text} {row.start:%Y-%m}",
                    )
                )
        payroll.write_text(
            stream, payroll.csv_text(rows, options["delimiter"]), options["encoding"]
        )


@hookimpl
def collectief_register_exporters() -> list[AfasExporter]:
    return [AfasExporter()]
