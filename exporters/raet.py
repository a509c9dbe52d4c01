"""RAET: Raet Payroll Business batch input, "Importbestand premie en werkgeversbijdrage" (E3).

The layout is in ``docs/formats/raet.md``. In short: fixed 110-character records, CRLF after each:

* leader ``A``: 2–9 identification (8 digits), 10–17 creation date CCYYMMDD;
* mutation ``5``: 2–16 employee code, 17–31 contract id, 32–51 data element, 52–59 start date
  CCYYMMDD, 60 space, 61–110 value (left aligned, ``.`` decimals, leading minus);
* trailer ``Z``: 2–9 record count including leader and trailer, 10–21 hash (sum of all start
  dates, last 12 digits; spaces when the hash is switched off).

Our choices (not prescribed by Raet): per employee number and start date two mutations, the premium
to deduct (sum of ``deduction``) and the employer contribution (sum of ``employer_contribution``),
deduction first; the start date is the month a line bills (``period``), so regular and correction
lines of the same month are summed into one value (Raet keeps only one value per element, employee
and day); components summing to zero are left out unless ``zero_amounts``; records are ordered by
employee number (numbers numerically) and start date; the creation date is the day the borderel was
made, in Europe/Amsterdam, so the same borderel always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from . import payroll
from .borderel import Borderel
from .exporter import BaseExporter, Option, Problem
from .hookspecs import hookimpl

RECORD_LENGTH = 110
ENCODINGS = ("ascii", "cp1252", "latin-1", "utf-8")
_CHUNK = 4096  # records per write

# The problem codes RAET reports; payroll.py's, shared with the other payroll formats.
MISSING_EMPLOYEE_NUMBER = payroll.MISSING_EMPLOYEE_NUMBER
EMPLOYEE_NUMBER_INVALID = payroll.EMPLOYEE_NUMBER_INVALID
EMPLOYEE_NUMBER_SHARED = payroll.EMPLOYEE_NUMBER_SHARED
OPTION_NOT_ENCODABLE = payroll.OPTION_NOT_ENCODABLE


class RaetExporter(BaseExporter):
    name = "raet"
    title = "Raet Payroll Business: premium and employer contribution (batch input)"
    extension = "txt"
    media_type = "text/plain"
    options = (
        Option.string(
            "identification",
            "Your Raet identification (8 digits), positions 2–9 of the leader record.",
            required=True,
            pattern=r"[0-9]{8}",
        ),
        Option.string(
            "contract_id",
            "Contract id (dienstverband) in positions 17–31 of every mutation; empty leaves them blank.",
            default="",
            max_length=15,
            pattern=payroll.PRINTABLE,
        ),
        Option.string(
            "deduction_element",
            "Data element (code or your own external code) of the premium to deduct from salary.",
            default=payroll.DEDUCTION_CODE,
            min_length=1,
            max_length=20,
            pattern=payroll.PRINTABLE,
        ),
        Option.string(
            "contribution_element",
            "Data element (code or your own external code) of the employer contribution.",
            default=payroll.CONTRIBUTION_CODE,
            min_length=1,
            max_length=20,
            pattern=payroll.PRINTABLE,
        ),
        Option.choice(
            "correction_dates",
            "Start date of correction lines: 'period' = the month they correct, "
            "'borderel_month' = the borderel's own month (summed with the regular lines).",
            choices=("period", "borderel_month"),
            default="period",
        ),
        Option.choice(
            "encoding",
            "Character encoding of the file.",
            choices=ENCODINGS,
            default="cp1252",
        ),
        Option.boolean(
            "hash", "Write the hash total in the trailer (positions 10–21).", default=True
        ),
        Option.boolean(
            "zero_amounts", "Also write components whose amount is 0.00.", default=False
        ),
    )

    def problems(self, borderel: Borderel, options: Mapping[str, Any]) -> list[Problem]:
        return payroll.text_problems(
            borderel,
            options,
            ("contract_id", "deduction_element", "contribution_element"),
            max_length=15,
        )

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        encoding = options["encoding"]
        records = raet_records(borderel, options)
        chunk: list[str] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= _CHUNK:
                stream.write("".join(chunk).encode(encoding))
                chunk.clear()
        stream.write("".join(chunk).encode(encoding))


def raet_records(borderel: Borderel, options: Mapping[str, Any]) -> Iterator[str]:
    """The file's records as text, each ``RECORD_LENGTH`` characters plus CRLF."""
    assert all(map(payroll.employee_number, borderel.lines)), (
        "problems() refuses lines without an employee number"
    )
    # Every line in the month it bills (``period``); corrections in the borderel's month if chosen.
    rows = payroll.employee_amounts(
        borderel,
        corrections_in_period=options["correction_dates"] == "period",
        regular_in_period=True,
    )

    created = payroll.amsterdam_date(borderel.created_at)
    yield f"A{options['identification']:8.8}{created:%Y%m%d}".ljust(RECORD_LENGTH) + "\r\n"
    prefix_contract = f"{options['contract_id']:<15.15}"
    elements = (
        f"{options['deduction_element']:<20.20}",
        f"{options['contribution_element']:<20.20}",
    )
    zero_amounts = options["zero_amounts"]
    count = 2
    hash_total = 0
    for row in rows:
        date = f"{row.start:%Y%m%d}"
        head = f"5{row.number:<15.15}{prefix_contract}"
        for element, amount in zip(elements, (row.deduction, row.contribution), strict=True):
            if not amount and not zero_amounts:
                continue
            count += 1
            hash_total += int(date)
            yield f"{head}{element}{date} {payroll.money(amount, '.'):<50}\r\n"
    trailer_hash = f"{hash_total % 10**12:012d}" if options["hash"] else ""
    yield f"Z{count:08d}{trailer_hash}".ljust(RECORD_LENGTH) + "\r\n"


@hookimpl
def collectief_register_exporters() -> list[RaetExporter]:
    return [RaetExporter()]
