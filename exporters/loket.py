"""Loket.nl variable data: premium to deduct and employer contribution per employee (E4).

The layout is in ``docs/formats/loket.md``. Public (REFERENCE.md): a template whose columns A–E
identify the employee and whose columns from F hold component numbers (in row 5), converted to CSV
and imported per period.

Ours: what rows 1–4 and columns A–E hold (title, employer, period, component titles; Werkgever,
Werknemer, Naam, Dienstverband, Periode), semicolon CSV with CRLF, every row seven fields; F the
premium to deduct and G the employer contribution; one file is one period, the borderel's month,
so corrections are summed into it; a zero value is an empty cell and a row with two zeros is left
out; Naam is the policyholder's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO

from . import payroll
from .borderel import Borderel
from .exporter import BaseExporter, Option, Problem
from .hookspecs import hookimpl

TITLE = "Variabele gegevens"
IDENTIFYING = ("Werkgever", "Werknemer", "Naam", "Dienstverband", "Periode")
DEDUCTION_TITLE = payroll.DEDUCTION_TITLE
CONTRIBUTION_TITLE = payroll.CONTRIBUTION_TITLE
_TEXT = payroll.SEMICOLON_CSV_CHARACTER


class LoketExporter(BaseExporter):
    name = "loket"
    title = "Loket.nl: premium and employer contribution (variable data)"
    extension = "csv"
    media_type = "text/csv"
    options = (
        Option.string(
            "employer_number",
            "Employer (werkgever) number in Loket.nl, column A and row 2; may stay empty.",
            default="",
            pattern=f"{_TEXT}{{0,20}}",
        ),
        Option.string(
            "employment",
            "Employment (dienstverband) number, column D.",
            default="1",
            pattern=f"{_TEXT}{{0,10}}",
        ),
        Option.string(
            "deduction_component",
            "Component number (column F, row 5) of the premium to deduct from salary.",
            default=payroll.DEDUCTION_CODE,
            pattern=f"{_TEXT}{{1,20}}",
        ),
        Option.string(
            "contribution_component",
            "Component number (column G, row 5) of the employer contribution.",
            default=payroll.CONTRIBUTION_CODE,
            pattern=f"{_TEXT}{{1,20}}",
        ),
        payroll.decimal_separator_option(","),
        payroll.csv_encoding_option("cp1252"),
        payroll.zero_amounts_option(),
    )

    def problems(self, borderel: Borderel, options: Mapping[str, Any]) -> list[Problem]:
        return payroll.text_problems(
            borderel,
            options,
            ("employer_number", "employment", "deduction_component", "contribution_component"),
            forbidden=';"',
        )

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        separator = options["decimal_separator"]
        zero_amounts = options["zero_amounts"]
        employer, employment = options["employer_number"], options["employment"]
        period = f"{borderel.month.year}-{borderel.month.month:02d}"
        blank = ("",) * 5
        rows: list[tuple[str, ...]] = [
            (TITLE, borderel.customer_name, "", "", "", "", ""),
            ("Werkgever", employer, "", "", "", "", ""),
            ("Periode", period, "", "", "", "", ""),
            (*blank, DEDUCTION_TITLE, CONTRIBUTION_TITLE),
            (*IDENTIFYING, options["deduction_component"], options["contribution_component"]),
        ]
        for row in payroll.employee_amounts(borderel, corrections_in_period=False):
            values = payroll.value_cells(row, separator, zero_amounts)
            if values is None:
                continue
            rows.append(
                (employer, row.number, row.insured.display_name, employment, period, *values)
            )
        payroll.write_text(stream, payroll.csv_text(rows, ";"), options["encoding"])


@hookimpl
def collectief_register_exporters() -> list[LoketExporter]:
    return [LoketExporter()]
