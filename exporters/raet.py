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

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from .borderel import Borderel, BorderelLine, LineKind
from .exporter import BaseExporter, Option, Problem
from .hookspecs import hookimpl

RECORD_LENGTH = 110
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CENT = Decimal("0.01")
ENCODINGS = ("ascii", "cp1252", "latin-1", "utf-8")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PRINTABLE = r"[^\x00-\x1f\x7f-\x9f]*"
_CHUNK = 4096  # records per write

MISSING_EMPLOYEE_NUMBER = "MISSING_EMPLOYEE_NUMBER"
EMPLOYEE_NUMBER_INVALID = "EMPLOYEE_NUMBER_INVALID"
EMPLOYEE_NUMBER_SHARED = "EMPLOYEE_NUMBER_SHARED"
OPTION_NOT_ENCODABLE = "OPTION_NOT_ENCODABLE"


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
            pattern=_PRINTABLE,
        ),
        Option.string(
            "deduction_element",
            "Data element (code or your own external code) of the premium to deduct from salary.",
            default="PREMIE_ZKV_INH",
            min_length=1,
            max_length=20,
            pattern=_PRINTABLE,
        ),
        Option.string(
            "contribution_element",
            "Data element (code or your own external code) of the employer contribution.",
            default="WG_BIJDRAGE_ZKV",
            min_length=1,
            max_length=20,
            pattern=_PRINTABLE,
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
        encoding = options["encoding"]
        found: list[Problem] = []
        for option in ("contract_id", "deduction_element", "contribution_element"):
            if not _encodable(options[option], encoding):
                found.append(
                    Problem(
                        code=OPTION_NOT_ENCODABLE,
                        message=f"Option {option} {options[option]!r} cannot be written in {encoding}",
                    )
                )
        missing: dict[str, list[BorderelLine]] = {}
        families_of: dict[str, dict[str, BorderelLine]] = {}
        for line in borderel.lines:
            number = _employee_number(line)
            if number is None:
                missing.setdefault(line.policyholder_policy_number, []).append(line)
            else:
                families_of.setdefault(number, {}).setdefault(line.policyholder_policy_number, line)
        for policy_number, lines in missing.items():
            line = _policyholder_line(lines)
            found.append(
                Problem(
                    code=MISSING_EMPLOYEE_NUMBER,
                    message=f"{line.insured.display_name} (policy {policy_number}) has no employee number",
                    insured=line.insured,
                    policy_number=policy_number,
                )
            )
        for number, families in families_of.items():
            line = next(iter(families.values()))
            reason = _invalid(number, encoding)
            if reason:
                found.append(
                    Problem(
                        code=EMPLOYEE_NUMBER_INVALID,
                        message=f"Employee number {number!r} of {line.insured.display_name} "
                        f"(policy {line.policyholder_policy_number}) {reason}",
                        insured=line.insured,
                        policy_number=line.policyholder_policy_number,
                    )
                )
            if len(families) > 1:
                for policy_number, line in families.items():
                    found.append(
                        Problem(
                            code=EMPLOYEE_NUMBER_SHARED,
                            message=f"Employee number {number!r} is used by the policies "
                            f"{', '.join(families)}; {line.insured.display_name} "
                            f"(policy {policy_number}) needs their own",
                            insured=line.insured,
                            policy_number=policy_number,
                        )
                    )
        return found

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
    sums: dict[tuple[str, dt.date], list[Decimal]] = {}
    own_month = options["correction_dates"] == "borderel_month"
    for line in borderel.lines:
        number = _employee_number(line)
        assert number is not None, "problems() refuses lines without an employee number"
        start = borderel.month if own_month and line.kind is LineKind.CORRECTION else line.period
        amounts = sums.get((number, start))
        if amounts is None:
            sums[(number, start)] = [line.deduction, line.employer_contribution]
        else:
            amounts[0] += line.deduction
            amounts[1] += line.employer_contribution

    created = _amsterdam_date(borderel.created_at)
    yield f"A{options['identification']:8.8}{created:%Y%m%d}".ljust(RECORD_LENGTH) + "\r\n"
    prefix_contract = f"{options['contract_id']:<15.15}"
    elements = (
        f"{options['deduction_element']:<20.20}",
        f"{options['contribution_element']:<20.20}",
    )
    zero_amounts = options["zero_amounts"]
    count = 2
    hash_total = 0
    for number, start in sorted(sums, key=_order):
        date = f"{start:%Y%m%d}"
        head = f"5{number:<15.15}{prefix_contract}"
        for element, amount in zip(elements, sums[(number, start)], strict=True):
            if not amount and not zero_amounts:
                continue
            count += 1
            hash_total += int(date)
            yield f"{head}{element}{date} {_value(amount):<50}\r\n"
    trailer_hash = f"{hash_total % 10**12:012d}" if options["hash"] else ""
    yield f"Z{count:08d}{trailer_hash}".ljust(RECORD_LENGTH) + "\r\n"


def _value(amount: Decimal) -> str:
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{amount:f}" if amount else "0.00"


def _order(key: tuple[str, dt.date]) -> tuple[int, int, str, dt.date]:
    number, start = key
    if number.isascii() and number.isdigit():
        return (0, int(number), number, start)
    return (1, 0, number, start)


def _employee_number(line: BorderelLine) -> str | None:
    number = (line.employee_number or "").strip()
    return number or None


def _policyholder_line(lines: list[BorderelLine]) -> BorderelLine:
    for line in lines:
        if line.insured.policy_number == line.policyholder_policy_number:
            return line
    return lines[0]


def _invalid(number: str, encoding: str) -> str | None:
    if len(number) > 15:
        return f"is longer than 15 characters ({len(number)})"
    if _CONTROL.search(number):
        return "contains control characters"
    if not _encodable(number, encoding):
        return f"cannot be written in {encoding}"
    return None


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _amsterdam_date(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:  # the model's timestamps are aware; a naive one is taken as UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(AMSTERDAM).date()


@hookimpl
def collectief_register_exporters() -> list[RaetExporter]:
    return [RaetExporter()]
