"""Excel: the borderel's lines and a sum per employee in an ``.xlsx`` workbook (E4). Entirely ours.

The layout is in ``docs/formats/excel.md``. Sheet 1 has one row per line with the columns of the
generic CSV (``exporters.generic_csv.COLUMNS``) under Dutch or English headers; sheet 2 has per
employee (or, without an employee number, per family) the premium to deduct and the employer
contribution summed over every line, corrections included. Amounts are numbers (``#,##0.00``),
dates are dates (``DD-MM-YYYY``); text Excel would run as a formula is stored as text with Excel's
quote prefix.

Written with openpyxl in write-only mode. For identical bytes from the same borderel the workbook's
created and modified times are the borderel's ``created_at`` and every zip entry carries the fixed
time 1980-01-01 00:00 (openpyxl would stamp the current time in both places).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import zipfile
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from . import payroll
from .borderel import Borderel
from .exporter import BaseExporter, Option
from .generic_csv import COLUMNS, FORMULA_STARTS, line_values
from .hookspecs import hookimpl

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
DATE_FORMAT = "DD-MM-YYYY"
TIMESTAMP_FORMAT = "DD-MM-YYYY HH:MM"
MONEY_FORMAT = "#,##0.00"

HEADERS = {
    "nl": {
        "customer_number": "Klantnummer",
        "customer_name": "Klant",
        "collectivity_number": "Collectiviteitnummer",
        "collectivity_name": "Collectiviteit",
        "month": "Maand",
        "created_at": "Aangemaakt",
        "kind": "Soort",
        "employee_number": "Personeelsnummer",
        "policyholder_policy_number": "Polisnummer verzekeringnemer",
        "policy_number": "Polisnummer",
        "relation": "Relatie",
        "initials": "Voorletters",
        "first_name": "Voornaam",
        "name_prefix": "Tussenvoegsel",
        "last_name": "Achternaam",
        "birth_date": "Geboortedatum",
        "product_code": "Productcode",
        "product_name": "Product",
        "product_kind": "Productsoort",
        "period": "Periode",
        "days": "Dagen",
        "gross_premium": "Brutopremie",
        "discount": "Korting",
        "premium": "Premie",
        "employer_contribution": "Werkgeversbijdrage",
        "deduction": "Inhouding",
    },
    "en": {
        "customer_number": "Customer number",
        "customer_name": "Customer",
        "collectivity_number": "Collectivity number",
        "collectivity_name": "Collectivity",
        "month": "Month",
        "created_at": "Created",
        "kind": "Kind",
        "employee_number": "Employee number",
        "policyholder_policy_number": "Policyholder's policy number",
        "policy_number": "Policy number",
        "relation": "Relation",
        "initials": "Initials",
        "first_name": "First name",
        "name_prefix": "Name prefix",
        "last_name": "Last name",
        "birth_date": "Birth date",
        "product_code": "Product code",
        "product_name": "Product",
        "product_kind": "Product kind",
        "period": "Period",
        "days": "Days",
        "gross_premium": "Gross premium",
        "discount": "Discount",
        "premium": "Premium",
        "employer_contribution": "Employer contribution",
        "deduction": "Deduction",
    },
}
SHEETS = {"nl": ("Regels", "Per werknemer"), "en": ("Lines", "Per employee")}
SUMMARY_HEADERS = {
    "nl": ("Personeelsnummer", "Naam", "Polisnummer", "Premie", "Werkgeversbijdrage", "Inhouding"),
    "en": (
        "Employee number",
        "Name",
        "Policy number",
        "Premium",
        "Employer contribution",
        "Deduction",
    ),
}


class ExcelExporter(BaseExporter):
    name = "excel"
    title = "Excel: borderel lines and the sums per employee"
    extension = "xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    options = (
        Option.choice(
            "language", "Language of sheet names and headers.", choices=("nl", "en"), default="nl"
        ),
        Option.boolean("summary", "Add the sheet with the sums per employee.", default=True),
    )

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        language = options["language"]
        workbook = Workbook(write_only=True)
        created = _naive_utc(borderel.created_at)
        workbook.properties.creator = "collectief"
        workbook.properties.created = created
        workbook.properties.modified = created
        lines_title, summary_title = SHEETS[language]
        bold = Font(bold=True)

        sheet = workbook.create_sheet(lines_title)
        sheet.freeze_panes = "A2"
        sheet.append([_header(sheet, HEADERS[language][name], bold) for name, _ in COLUMNS])
        kinds = [kind for _, kind in COLUMNS]
        values = line_values(borderel)
        # Excel has no time zones: the creation time as the clock in Amsterdam showed it.
        local_created = _amsterdam(borderel.created_at)
        for line in borderel.lines:
            row = list(values(line))
            row[5] = local_created
            sheet.append(
                [_cell(sheet, value, kind) for value, kind in zip(row, kinds, strict=True)]
            )

        if options["summary"]:
            summary = workbook.create_sheet(summary_title)
            summary.freeze_panes = "A2"
            summary.append([_header(summary, text, bold) for text in SUMMARY_HEADERS[language]])
            for number, name, policy, amounts in _per_employee(borderel):
                summary.append(
                    [
                        _cell(summary, number, "text"),
                        _cell(summary, name, "text"),
                        _cell(summary, policy, "text"),
                        *(_cell(summary, amount, "money") for amount in amounts),
                    ]
                )

        buffer = io.BytesIO()
        with _FixedTimeZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(workbook, archive).save()
        stream.write(buffer.getvalue())


def _per_employee(
    borderel: Borderel,
) -> list[tuple[str | None, str, str, tuple[Decimal, Decimal, Decimal]]]:
    """Per employee number (or family without one): name, policy number, summed amounts."""
    groups: dict[tuple[int, int, str], list[Any]] = {}
    for line in borderel.lines:
        number = payroll.employee_number(line)
        if number is None:
            key = (2, 0, line.policyholder_policy_number)
        elif number.isascii() and number.isdigit():
            key = (0, int(number), number)
        else:
            key = (1, 0, number)
        group = groups.get(key)
        is_holder = line.insured.policy_number == line.policyholder_policy_number
        if group is None:
            groups[key] = [
                number,
                line,
                is_holder,
                line.premium,
                line.employer_contribution,
                line.deduction,
            ]
            continue
        if is_holder and not group[2]:
            group[1], group[2] = line, True
        group[3] += line.premium
        group[4] += line.employer_contribution
        group[5] += line.deduction
    return [
        (
            group[0],
            group[1].insured.display_name,
            group[1].policyholder_policy_number,
            (group[3], group[4], group[5]),
        )
        for _, group in sorted(groups.items(), key=lambda item: item[0])
    ]


def _header(sheet: Any, text: str, bold: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = bold
    return cell


def _cell(sheet: Any, value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "money":
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = MONEY_FORMAT
        return cell
    if kind in ("date", "timestamp"):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT if kind == "date" else TIMESTAMP_FORMAT
        return cell
    if kind == "number":
        return value
    text = value if value.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", value)
    if not text.startswith(FORMULA_STARTS):
        return text
    cell = WriteOnlyCell(sheet, value=None)
    cell.value = text
    cell.data_type = "s"  # text, even when it looks like a formula
    cell.quotePrefix = True
    return cell


def _amsterdam(moment: dt.datetime) -> dt.datetime:
    return payroll.amsterdam_time(moment).replace(tzinfo=None)


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


class _FixedTimeZipFile(zipfile.ZipFile):
    """A zip whose entries all carry ``ZIP_TIME``, whatever openpyxl or the files' mtimes say."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=ZIP_TIME)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        else:
            zinfo_or_arcname.date_time = ZIP_TIME
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        info = zipfile.ZipInfo(arcname or filename, date_time=ZIP_TIME)
        info.compress_type = self.compression
        info.external_attr = 0o600 << 16
        large = os.path.getsize(filename) > zipfile.ZIP64_LIMIT
        with open(filename, "rb") as source, self.open(info, "w", force_zip64=large) as target:
            shutil.copyfileobj(source, target, 1 << 16)


@hookimpl
def collectief_register_exporters() -> list[ExcelExporter]:
    return [ExcelExporter()]
