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
DEDUCTION_TITLE = "Inhouding premie zorgverzekering"
CONTRIBUTION_TITLE = "Werkgeversbijdrage zorgverzekering"
_TEXT = r"[^;\"\x00-\x1f\x7f-\x9f]"


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
        Option.choice(
            "encoding",
            "Character encoding ('utf-8-sig' = UTF-8 with a byte order mark).",
            choices=("utf-8", "utf-8-sig", "cp1252"),
            default="utf-8",
        ),
        Option.boolean("zero_amounts", "Also write values of 0.00.", default=False),
    )

    def problems(self, borderel: Borderel, options: Mapping[str, Any]) -> list[Problem]:
        encoding = options["encoding"]
        found = payroll.option_problems(
            options,
            ("debtor_number", "company_number", "deduction_code", "contribution_code"),
            encoding,
        )
        return found + payroll.employee_number_problems(
            borderel, payroll.text_check(encoding, forbidden=';"')
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
            if not (row.deduction or row.contribution or zero_amounts):
                continue
            values = tuple(
                payroll.money(amount, separator) if amount or zero_amounts else ""
                for amount in (row.deduction, row.contribution)
            )
            period = f"{row.start.year}-{row.start.month:02d}"
            rows.append(
                (debtor, company, row.number, row.insured.display_name, period, "", "", *values)
            )
        payroll.write_text(stream, payroll.csv_text(rows, ";"), options["encoding"])


@hookimpl
def collectief_register_exporters() -> list[NmbrsExporter]:
    return [NmbrsExporter()]
