"""Generic CSV: one row per borderel line with every field of the model (E4). Entirely ours.

The layout is in ``docs/formats/csv.md``: a header row of the model's field names (``COLUMNS``),
then the lines in the borderel's order. Dates ``YYYY-MM-DD``; ``created_at`` ISO 8601 in UTC;
amounts with two decimals and the chosen decimal separator; empty fields for ``None``. Fields are
quoted only when needed (RFC 4180), lines end in CRLF, UTF-8 with or without a byte order mark.
Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) gets a leading ``'`` unless ``neutralise_formulas`` is off. No problems: a line
without an employee number is written with an empty field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from . import payroll
from .borderel import Borderel, BorderelLine
from .exporter import BaseExporter, Option
from .hookspecs import hookimpl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# (field, value of a line) in file order; the borderel's own fields first. Kinds: text, date,
# money, number, code (an enum or code that is never neutralised).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_number", "text"),
    ("customer_name", "text"),
    ("collectivity_number", "text"),
    ("collectivity_name", "text"),
    ("month", "date"),
    ("created_at", "timestamp"),
    ("kind", "code"),
    ("employee_number", "text"),
    ("policyholder_policy_number", "text"),
    ("policy_number", "text"),
    ("relation", "code"),
    ("initials", "text"),
    ("first_name", "text"),
    ("name_prefix", "text"),
    ("last_name", "text"),
    ("birth_date", "date"),
    ("product_code", "text"),
    ("product_name", "text"),
    ("product_kind", "code"),
    ("period", "date"),
    ("days", "number"),
    ("gross_premium", "money"),
    ("discount", "money"),
    ("premium", "money"),
    ("employer_contribution", "money"),
    ("deduction", "money"),
)


def line_values(borderel: Borderel) -> Callable[[BorderelLine], tuple[Any, ...]]:
    """The values of ``COLUMNS`` for a line of ``borderel``, as Python values (None when absent)."""
    head = (
        borderel.customer_number,
        borderel.customer_name,
        borderel.collectivity_number,
        borderel.collectivity_name,
        borderel.month,
        _utc(borderel.created_at),
    )

    def values(line: BorderelLine) -> tuple[Any, ...]:
        insured = line.insured
        return (
            *head,
            line.kind.value,
            line.employee_number,
            line.policyholder_policy_number,
            insured.policy_number,
            insured.relation.value,
            insured.initials,
            insured.first_name,
            insured.name_prefix,
            insured.last_name,
            insured.birth_date,
            line.product_code,
            line.product_name,
            line.product_kind.value,
            line.period,
            line.days,
            line.gross_premium,
            line.discount,
            line.premium,
            line.employer_contribution,
            line.deduction,
        )

    return values


class GenericCsvExporter(BaseExporter):
    name = "csv"
    title = "CSV: every borderel line with all its fields"
    extension = "csv"
    media_type = "text/csv"
    options = (
        Option.choice("delimiter", "Field separator.", choices=(";", ","), default=";"),
        payroll.decimal_separator_option(","),
        Option.boolean(
            "bom", "Start with a UTF-8 byte order mark (Excel then reads UTF-8).", default=True
        ),
        Option.boolean(
            "neutralise_formulas",
            "Prefix text that a spreadsheet would run as a formula with a quote (').",
            default=True,
        ),
    )

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        separator = options["decimal_separator"]
        neutralise = options["neutralise_formulas"]
        kinds = [kind for _, kind in COLUMNS]
        values = line_values(borderel)

        def text(value: Any, kind: str) -> str:
            if value is None:
                return ""
            if kind == "text":
                return f"'{value}" if neutralise and value.startswith(FORMULA_STARTS) else value
            if kind == "money":
                return payroll.money(value, separator)
            if kind == "timestamp":
                return value.isoformat().replace("+00:00", "Z")
            return str(value) if kind != "date" else value.isoformat()

        rows = [[name for name, _ in COLUMNS]]
        rows += (
            [text(value, kind) for value, kind in zip(values(line), kinds, strict=True)]
            for line in borderel.lines
        )
        if options["bom"]:
            stream.write(b"\xef\xbb\xbf")
        stream.write(payroll.csv_text(rows, options["delimiter"]).encode("utf-8"))


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


@hookimpl
def collectief_register_exporters() -> list[GenericCsvExporter]:
    return [GenericCsvExporter()]
