"""Nmbrs variable wage components: premium to deduct and employer contribution per employee (E4).

The layout is in ``docs/formats/nmbrs.md``. Public (REFERENCE.md): the import sheet's columns
Debiteurnr, Bedrijfnr, Persnr (required), Naam, Periode ``YYYY-PP``, Dagen, DagenVoorLC; from
column H the second row holds the wage codes and values start on the third row; decimal comma.

Ours: the sheet written as semicolon CSV (CRLF); two wage-code columns, H the premium to deduct and
I the employer contribution, with titles in row 1; one row per employee and period, a monthly
period ``PP`` = the month; corrections summed into the borderel's period unless ``corrections`` =
``period``; a zero value is an empty cell and a row with two zeros is left out; Dagen and
DagenVoorLC empty; Naam the policyholder's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO

from . import payroll
from .borderel import Borderel
from .exporter import BaseExporter, Option, Problem
from .hookspecs import hookimpl

HEADERS = ("Debiteurnr", "Bedrijfnr", "Persnr", "Naam", "Periode", "Dagen", "DagenVoorLC")
DEDUCTION_TITLE = payroll.DEDUCTION_TITLE
CONTRIBUTION_TITLE = payroll.CONTRIBUTION_TITLE
_TEXT = payroll.SEMICOLON_CSV_CHARACTER


class NmbrsExporter(BaseExporter):
    name = "nmbrs"
    title = "Nmbrs: premium and employer contribution (variable wage components)"
    extension = "csv"
    media_type = "text/csv"
    options = (
        Option.string(
            "debtor_number",
            "Debiteurnr (column A); may stay empty.",
            default="",
            pattern=f"{_TEXT}{{0,20}}",
        ),
        Option.string(
            "company_number",
            "Bedrijfnr (column B); may stay empty.",
            default="",
            pattern=f"{_TEXT}{{0,20}}",
        ),
        Option.string(
            "deduction_code",
            "Wage code (column H, row 2) of the premium to deduct from salary.",
            default=payroll.DEDUCTION_CODE,
            pattern=f"{_TEXT}{{1,20}}",
        ),
        Option.string(
            "contribution_code",
            "Wage code (column I, row 2) of the employer contribution.",
            default=payroll.CONTRIBUTION_CODE,
            pattern=f"{_TEXT}{{1,20}}",
        ),
        payroll.corrections_option("borderel_month"),
        payroll.decimal_separator_option(","),
        payroll.csv_encoding_option("utf-8"),
        payroll.zero_amounts_option(),
    )

    def problems(self, borderel: Borderel, options: Mapping[str, Any]) -> list[Problem]:
        return payroll.text_problems(
            borderel,
            options,
            ("debtor_number", "company_number", "deduction_code", "contribution_code"),
            forbidden=';"',
        )

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        separator = options["decimal_separator"]
        zero_amounts = options["zero_amounts"]
        debtor, company = options["debtor_number"], options["company_number"]
        rows: list[tuple[str, ...]] = [
            (*HEADERS, DEDUCTION_TITLE, CONTRIBUTION_TITLE),
            ("",) * len(HEADERS) + (options["deduction_code"], options["contribution_code"]),
        ]
        for row in payroll.employee_amounts(
            borderel, corrections_in_period=options["corrections"] == "period"
        ):
            values = payroll.value_cells(row, separator, zero_amounts)
            if values is None:
                continue
            period = f"{row.start.year}-{row.start.month:02d}"
            rows.append(
                (debtor, company, row.number, row.insured.display_name, period, "", "", *values)
            )
        payroll.write_text(stream, payroll.csv_text(rows, ";"), options["encoding"])


@hookimpl
def collectief_register_exporters() -> list[NmbrsExporter]:
    return [NmbrsExporter()]
